"""One module per page of the console, each with `render(ctx)` (ctx: console.context.Console). Not named
`pages/`: Streamlit would take a folder of that name beside app.py for its own page discovery."""
