"""Where digests come from: one module per source, listed by `registry.SOURCES`.

Each source module (`hf`, `hotpapers_url` over the `hotpapers_md` format, `arxiv`) ends in a
`spec.SourceSpec`: its name, title, config section, metric descriptors (`metrics`) and how it
is built. `base.SourceFactory` builds sources by name from the registry; `http`, `boundary`
and `cache` are what every source shares.
"""
