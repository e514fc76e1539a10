// Package faults holds the slow hostile-input checks of the augsplit
// binary (make faults): named pipes and devices where files are expected,
// and how fast SIGTERM stops a command in the middle of a large read. They
// build the binary and run it as a user would; they are not part of make
// test because they write multi-gigabyte sparse files and wait on signals.
package faults
