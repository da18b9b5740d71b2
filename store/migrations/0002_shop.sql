-- The shop floor's persisted state: stock per size, carts, orders, and shoppers' session secrets.
CREATE TABLE stock (
    product_id TEXT NOT NULL,
    size TEXT NOT NULL,
    count INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (product_id, size)
);
CREATE TABLE cart_lines (
    shopper_id TEXT NOT NULL REFERENCES shoppers(id),
    product_id TEXT NOT NULL,
    size TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (shopper_id, product_id, size)
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shopper_id TEXT NOT NULL REFERENCES shoppers(id),
    total REAL NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE order_lines (
    order_id INTEGER NOT NULL REFERENCES orders(id),
    product_id TEXT NOT NULL,
    size TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    price REAL NOT NULL
);
CREATE TABLE shopper_secrets (
    shopper_id TEXT PRIMARY KEY REFERENCES shoppers(id),
    secret_sha256 TEXT NOT NULL,
    name TEXT NOT NULL
)
