"""One module per page of the console, each with `render(ctx)` (ctx: console.context.Console)."""
