package writer

import "github.com/augsplit/augsplit/schema"

// Sample is a record plus its encoded image, as handed to Put.
type Sample struct {
	schema.Record
	Data []byte // encoded image (PNG for generate; the file's own bytes for split)

	// Ext is the folder format's file extension; "" means ".png". `augsplit
	// split` keeps each file's own format and so its extension.
	Ext string

	// LinkFrom, when set, asks the folder format to hard-link this existing
	// file (same bytes as Data) instead of writing Data: `augsplit split --link`.
	LinkFrom string
}
