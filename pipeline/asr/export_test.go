package asr

// TempDirForTest returns the folder of the temporary channel files.
func (c *Client) TempDirForTest() string { return c.cfg.TempDir }
