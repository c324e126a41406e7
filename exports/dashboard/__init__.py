"""The research dashboard of a wave in the admin: figures of the latest aggregate snapshot as tables,
inline SVG charts and CSV files, and a refresh that follows the computation."""
