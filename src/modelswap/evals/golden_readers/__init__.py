"""Golden-set file formats: JSONL (native), CSV (native columns or promptfoo's), promptfoo YAML."""
