-- Designers' uploaded garments, so their ids survive a restart (the files live in the data folder).
CREATE TABLE uploaded_garments (
    id TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    size TEXT NOT NULL,
    fabric TEXT,
    url TEXT,
    vertices INTEGER NOT NULL,
    faces INTEGER NOT NULL,
    at REAL NOT NULL
)
