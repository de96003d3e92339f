-- Personal data in the results stored before callqa masked it (ID card,
-- phone and bank card numbers, e-mail addresses spoken in calls) is masked
-- in Go after this file, in the same transaction: every result_json goes
-- through pii.MaskResult and the findings' evidence column follows
-- (Store.maskStoredResults).
SELECT 1;
