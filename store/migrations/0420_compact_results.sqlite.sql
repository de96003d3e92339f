-- Results stored in three parts that do not repeat one another (see
-- store/resultdoc.go): the columns, the findings rows, and doc, a compact
-- document of the rest (DEFLATE-compressed JSON behind a format byte),
-- without the level envelope (recomputed from the recording when a call
-- is opened). The Go half of this migration rewrites every result_json
-- into doc; 0421 drops result_json. Transcripts of results stored before
-- this version stay in their documents: whether a sidecar still holds
-- them cannot be known here. SQLite keeps the freed pages in the file
-- until VACUUM.
ALTER TABLE results ADD COLUMN doc BLOB;
