"""What we store, in our words: plain `*Record` models and their Beanie `*Document`s."""
