package coordinator

import "sync"

// keyLocks serializes some operations on one key through this node: each
// key with an operation holding or waiting for its lock has a mutex, which
// goes once the last of them is done. Operations on other keys never wait.
type keyLocks struct {
	mu    sync.Mutex // guards locks
	locks map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	users int // holding or waiting; guarded by keyLocks.mu
}

// lock locks key and returns the unlock.
func (l *keyLocks) lock(key []byte) (unlock func()) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*keyLock{}
	}
	k := l.locks[string(key)]
	if k == nil {
		k = &keyLock{}
		l.locks[string(key)] = k
	}
	k.users++
	l.mu.Unlock()
	k.Lock()
	return func() {
		k.Unlock()
		l.mu.Lock()
		if k.users--; k.users == 0 {
			delete(l.locks, string(key))
		}
		l.mu.Unlock()
	}
}
