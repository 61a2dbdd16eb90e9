"""Read the stack, one source per module, each a few plain functions over an injected client: no
Streamlit, so the pages, `python -m stack drift | logs` and the tests share them."""
