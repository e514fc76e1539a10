// Package train is augsplit's bundled trainer: the user's Keras CNN written
// with Gorgonia (gorgonia.org/gorgonia v0.9.18), its fit loop with Keras's
// callbacks, metrics, plots and checkpoints.
//
// The model: input CxHxW (NCHW); Blocks x [Conv2D(Filters, 3x3, same,
// he_normal) -> BatchNormalization -> ELU -> AveragePooling2D(2x2)];
// Flatten; Dense(Dense units, ELU, glorot_uniform); Dense(classes) with
// log-softmax; categorical cross-entropy; SGD with momentum and Keras's
// legacy time-based decay; ReduceLROnPlateau and EarlyStopping with
// restore_best_weights. Every hyper-parameter is a field of Config.
//
// Where Gorgonia v0.9.18 is wrong or missing (see the shared notes), the
// package has its own ops: a correct 2x2 average pool (AvgPool2x2) and ELU,
// seeded initialisers, and a fused conv block (convolution, batch norm, ELU
// and pool in one op with a hand-written backward pass). Training runs a
// step written out by hand (directStep: the fused blocks, then the dense
// head), not Gorgonia's tape machine, whose bookkeeping cost as much as the
// arithmetic at batch 4; evaluation and prediction run Gorgonia graphs with
// the fused op. The block's inner loops have AVX2+FMA assembly for float32
// (kernels_amd64.s, Go versions elsewhere and with -tags purego). A network
// built from Gorgonia's Conv2d and BatchNorm is kept as the reference the
// fused network is tested against. SoftMax is never applied next to
// LogSoftMax (they collapse): probabilities are Exp(LogSoftMax(x)).
//
// Determinism: weights and shuffling come from explicitly seeded
// math/rand/v2 generators, there is no dropout, and the samples of a batch
// run in parallel but every sum over them is taken in sample order, so the
// same data, seed and config give the same metrics.jsonl on one machine
// (whatever GOMAXPROCS; the assembly and Go kernels round differently, so a
// CPU without AVX2 gives other last bits).
//
// Data stays uint8 (Set) and is converted to float32 per batch. Training
// drops the last partial batch of each epoch (a different one every epoch,
// since the order is reshuffled); evaluation pads its last batch and counts
// real samples only.
package train
