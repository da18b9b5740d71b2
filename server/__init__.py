"""The metaverse store server: sans-I/O protocol core, asyncio websockets I/O, web client."""
