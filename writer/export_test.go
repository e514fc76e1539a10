package writer

// Helpers of the package's own tests, for the external ones
// (faults_test.go).
var (
	MakeSamples = makeSamples
	TestClasses = testClasses
	TestCard    = testCard
	WriteAll    = write
	Snapshot    = snapshot
	TempFiles   = tempFiles
	NamesPathIn = namesPathIn
)
