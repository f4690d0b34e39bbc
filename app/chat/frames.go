package chat

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"gomicro/app/errs"
)

// Frames are JSON objects {"type", "data"} both ways.
type frame struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// clientPost is the data of a client's "message" frame.
type clientPost struct {
	Message  string  `json:"message"`
	ClientID *string `json:"client_id,omitempty"`
}

// errorData is the data of an "error" frame.
type errorData struct {
	Code    errs.Code `json:"code"`
	Message string    `json:"message"`
}

// maxClientIDChars bounds client_id, as the REST schema does.
const maxClientIDChars = 64

var (
	errFrameJSON    = errs.E(errs.BadRequest, `a frame is a JSON object {"type": ..., "data": ...}`)
	errFrameType    = errs.E(errs.Invalid, `unknown frame type; clients send "message"`)
	errFrameData    = errs.E(errs.Invalid, `"message" frames carry data {"message": string, "client_id"?: string}`)
	errFrameBinary  = errs.E(errs.Unsupported, "frames are text (JSON), not binary")
	errFrameTooBig  = errs.E(errs.TooLarge, "frame over the size limit")
	errFrameClienID = errs.E(errs.Invalid, "client_id must be 1-64 characters")
)

// parseClientFrame decodes one text frame from a client. Only "message"
// frames exist; anything else is an error to answer with an error frame.
// Unknown fields are ignored, so clients may add their own.
func parseClientFrame(b []byte) (clientPost, error) {
	var f struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&f); err != nil || dec.More() {
		return clientPost{}, errFrameJSON
	}
	if f.Type != "message" {
		return clientPost{}, errFrameType
	}
	var p struct {
		Message  *string `json:"message"`
		ClientID *string `json:"client_id"`
	}
	if len(f.Data) == 0 || json.Unmarshal(f.Data, &p) != nil || p.Message == nil {
		return clientPost{}, errFrameData
	}
	if p.ClientID != nil {
		if n := utf8.RuneCountInString(*p.ClientID); n < 1 || n > maxClientIDChars {
			return clientPost{}, errFrameClienID
		}
	}
	return clientPost{Message: *p.Message, ClientID: p.ClientID}, nil
}
