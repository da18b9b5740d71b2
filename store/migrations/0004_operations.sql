-- Store operations: stock alerts, replenishment suggestions, price changes and A/B arms.
ALTER TABLE events ADD COLUMN arm TEXT;
ALTER TABLE orders ADD COLUMN arm TEXT;
CREATE INDEX order_time ON orders (at);
CREATE TABLE stock_alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id TEXT NOT NULL,
    size TEXT NOT NULL,
    stock INTEGER NOT NULL,                -- the count that crossed the reorder point
    reorder_point REAL NOT NULL,
    raised_at REAL NOT NULL,
    cleared_at REAL                        -- NULL while open: stock is still at or under the reorder point
);
-- one open alert per SKU: a crossing is reported once, however many orders follow it
CREATE UNIQUE INDEX one_open_alert ON stock_alerts (product_id, size) WHERE cleared_at IS NULL;
CREATE TABLE replenishments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id TEXT NOT NULL,
    size TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    stock INTEGER NOT NULL,                -- the count the suggestion was made for
    reorder_point REAL NOT NULL,
    suggested_at REAL NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'approved', 'withdrawn')),
    decided_at REAL
);
CREATE UNIQUE INDEX one_open_suggestion ON replenishments (product_id, size) WHERE status = 'open';
CREATE TABLE prices (
    product_id TEXT PRIMARY KEY,
    price REAL NOT NULL CHECK (price > 0),
    rule TEXT NOT NULL
);
CREATE TABLE price_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id TEXT NOT NULL,
    old_price REAL NOT NULL,
    new_price REAL NOT NULL CHECK (new_price > 0),
    rule TEXT NOT NULL,
    at REAL NOT NULL
)
;
-- SKUs an order emptied, with the buyer's arm: the experiment's stock-outs
CREATE TABLE stock_outs (
    order_id INTEGER NOT NULL REFERENCES orders(id),
    product_id TEXT NOT NULL,
    size TEXT NOT NULL,
    arm TEXT,
    at REAL NOT NULL
)
