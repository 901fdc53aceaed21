"""Where digests come from: one module per source (Hot Papers markdown, Hugging Face, arXiv)."""
