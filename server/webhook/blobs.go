package webhook

import (
	"container/list"
	"sync"
)

// DefaultBlobCacheBytes bounds the blob cache of a server: enough for the catalog files of a large
// monorepo (10,000 files of 2 KiB is 20 MiB).
const DefaultBlobCacheBytes = 64 << 20

// BlobCache keeps file contents by Git blob SHA, least recently used first out. A blob's content
// never changes, so a push fetches only the catalog files it changed: the rest of the catalog, the
// context of the catalog-wide rules, comes from earlier pushes. It is safe for concurrent use.
type BlobCache struct {
	max int64

	mu    sync.Mutex
	size  int64
	order *list.List // of *blobEntry, most recent first
	byKey map[string]*list.Element
}

type blobEntry struct {
	key  string
	data []byte
}

// NewBlobCache returns a cache holding at most maxBytes of content.
func NewBlobCache(maxBytes int64) *BlobCache {
	return &BlobCache{max: maxBytes, order: list.New(), byKey: map[string]*list.Element{}}
}

// Get returns the content of a blob, if cached.
func (c *BlobCache) Get(key string) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*blobEntry).data, true
	}
	return nil, false
}

// Put stores a blob's content; one larger than the whole cache is not kept.
func (c *BlobCache) Put(key string, data []byte) {
	if c == nil || int64(len(data)) > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; ok {
		return
	}
	c.byKey[key] = c.order.PushFront(&blobEntry{key: key, data: data})
	c.size += int64(len(data))
	for c.size > c.max {
		last := c.order.Back()
		e := last.Value.(*blobEntry)
		c.order.Remove(last)
		delete(c.byKey, e.key)
		c.size -= int64(len(e.data))
	}
}
