package store

// The s3 driver is in every build: S3's protocol is also MinIO's, Ceph's,
// R2's and SeaweedFS's, and the fake server the tests use.
import _ "gocloud.dev/blob/s3blob"
