package business

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strconv"
)

// A Flow JSON document is read into a tree that keeps where each value
// sits in the text, so that a validation error names its lines and
// columns as Meta's do. Reading is encoding/json's tokenizer; this file
// only records offsets.

// jkind is the kind of a JSON value.
type jkind byte

const (
	jObject jkind = 'o'
	jArray  jkind = 'a'
	jString jkind = 's'
	jNumber jkind = 'n'
	jBool   jkind = 'b'
	jNull   jkind = 'z'
)

// jnode is one JSON value and its byte span [start, end) in the text.
type jnode struct {
	kind       jkind
	start, end int64
	fields     []jfield // objects, in the text's order
	items      []*jnode // arrays
	str        string   // strings, and numbers as written
	b          bool
}

// jfield is an object's member with the span of its key.
type jfield struct {
	key      string
	keyStart int64
	keyEnd   int64
	val      *jnode
}

// get returns the member named key, or nil.
func (n *jnode) get(key string) *jnode {
	if n == nil || n.kind != jObject {
		return nil
	}
	for _, f := range n.fields {
		if f.key == key {
			return f.val
		}
	}
	return nil
}

// maxFlowJSONDepth bounds the nesting of a Flow JSON document: Meta's
// deepest structures (If inside Form inside a layout) need far less.
const maxFlowJSONDepth = 64

var errFlowJSONDepth = errors.New("the document is nested too deeply")

// parseJNode reads doc into a tree. It fails on invalid JSON, on text
// after the value and on nesting deeper than maxFlowJSONDepth; the
// offset tells where.
func parseJNode(doc []byte) (*jnode, int64, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	p := &jparser{dec: dec, doc: doc}
	n, err := p.value(0)
	if err != nil {
		return nil, p.dec.InputOffset(), err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, p.dec.InputOffset(), errors.New("text after the JSON value")
	}
	return n, 0, nil
}

type jparser struct {
	dec *json.Decoder
	doc []byte
}

// next returns the next token and where it starts.
func (p *jparser) next() (json.Token, int64, error) {
	start := p.dec.InputOffset()
	for start < int64(len(p.doc)) {
		switch p.doc[start] {
		case ' ', '\t', '\r', '\n', ':', ',':
			start++
			continue
		}
		break
	}
	t, err := p.dec.Token()
	return t, start, err
}

func (p *jparser) value(depth int) (*jnode, error) {
	t, start, err := p.next()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return p.from(t, start, depth)
}

func (p *jparser) from(t json.Token, start int64, depth int) (*jnode, error) {
	if depth > maxFlowJSONDepth {
		return nil, errFlowJSONDepth
	}
	n := &jnode{start: start}
	switch v := t.(type) {
	case json.Delim:
		switch v {
		case '{':
			n.kind = jObject
			for p.dec.More() {
				kt, ks, err := p.next()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errors.New("an object key is not a string")
				}
				ke := p.dec.InputOffset()
				val, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.fields = append(n.fields, jfield{key: key, keyStart: ks, keyEnd: ke, val: val})
			}
		case '[':
			n.kind = jArray
			for p.dec.More() {
				val, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, val)
			}
		default:
			return nil, errors.New("unexpected delimiter")
		}
		if _, err := p.dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		n.kind, n.str = jString, v
	case json.Number:
		n.kind, n.str = jNumber, string(v)
	case bool:
		n.kind, n.b = jBool, v
	case nil:
		n.kind = jNull
	}
	n.end = p.dec.InputOffset()
	return n, nil
}

// lineIndex turns byte offsets into 1-based lines and columns.
type lineIndex []int64 // the offset where each line starts

func newLineIndex(doc []byte) lineIndex {
	li := lineIndex{0}
	for i, c := range doc {
		if c == '\n' {
			li = append(li, int64(i+1))
		}
	}
	return li
}

func (li lineIndex) pos(off int64) (line, col int) {
	i := sort.Search(len(li), func(i int) bool { return li[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, int(off-li[i]) + 1
}

// jpath builds Meta's paths: screens[0].layout.children[2].type.
type jpath string

func (p jpath) key(k string) jpath {
	if p == "" {
		return jpath(k)
	}
	return p + "." + jpath(k)
}

func (p jpath) index(i int) jpath { return p + "[" + jpath(strconv.Itoa(i)) + "]" }
