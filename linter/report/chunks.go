package report

import (
	"bytes"
	"io"
)

// chunked collects an output's text and writes it in chunks of about 64 KiB that end between two
// findings (its caller calls end after each): a result with hundreds of thousands of findings is
// never held whole, and a writer that redacts per write never sees a value cut in two.
type chunked struct {
	bytes.Buffer
	w io.Writer
}

// end marks the end of a finding: the text so far is written once it reaches 64 KiB.
func (c *chunked) end() error {
	if c.Len() < 64<<10 {
		return nil
	}
	return c.flush()
}

// flush writes what is left.
func (c *chunked) flush() error {
	if c.Len() == 0 {
		return nil
	}
	_, err := c.w.Write(c.Bytes())
	c.Reset()
	return err
}
