-- Shoppers, what they do, and what they say about fit.
CREATE TABLE shoppers (
    id TEXT PRIMARY KEY,
    measurements TEXT NOT NULL,            -- JSON, cm/kg, as the avatar CLI takes it
    fit_preference TEXT NOT NULL CHECK (fit_preference IN ('snug', 'regular', 'loose')),
    created REAL NOT NULL
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shopper_id TEXT NOT NULL REFERENCES shoppers(id),
    product_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('view', 'tryon', 'cart', 'purchase', 'return')),
    size TEXT,
    at REAL NOT NULL
);
CREATE INDEX events_by_shopper ON events (shopper_id, at);
CREATE TABLE fit_feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shopper_id TEXT NOT NULL REFERENCES shoppers(id),
    product_id TEXT NOT NULL,
    size TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('small', 'fit', 'large')),
    region TEXT,                           -- NULL: the garment as a whole
    at REAL NOT NULL
);
CREATE INDEX feedback_by_product ON fit_feedback (product_id);
