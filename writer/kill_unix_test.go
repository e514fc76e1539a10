//go:build unix

package writer

// kill does to o's lock what a SIGKILL does: the kernel drops the flock,
// the lock file stays.
func simulateKill(o *Out) {
	if o.lock != nil && o.lock.f != nil {
		_ = o.lock.f.Close()
		o.lock.f = nil
	}
}
