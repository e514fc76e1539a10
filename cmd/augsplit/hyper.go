package main

import (
	"github.com/spf13/pflag"

	"github.com/augsplit/augsplit/train"
)

// The model's hyper-parameter flags, shared by train and seed-bug so that
// both spell and default them alike.

// trainDefaults is train.DefaultConfig with size 0: the images' own size,
// resolved once they are read.
func trainDefaults() train.Config {
	c := train.DefaultConfig()
	c.Size = 0
	return c
}

// addHyperFlags binds one flag per hyper-parameter to cfg's fields (flag
// names are the config keys with dashes).
func addHyperFlags(f *pflag.FlagSet, cfg *train.Config) {
	f.IntVar(&cfg.Filters, "filters", cfg.Filters, "conv filters per block")
	f.IntVar(&cfg.Blocks, "blocks", cfg.Blocks, "conv/batch-norm/ELU/pool blocks")
	f.IntVar(&cfg.Dense, "dense", cfg.Dense, "units of the hidden dense layer")
	f.Float64Var(&cfg.LR, "lr", cfg.LR, "initial learning rate")
	f.Float64Var(&cfg.Momentum, "momentum", cfg.Momentum, "SGD momentum")
	f.Float64Var(&cfg.Decay, "decay", cfg.Decay, "time-based decay: lr/(1+decay*iterations)")
	f.IntVar(&cfg.Batch, "batch", cfg.Batch, "batch size")
	f.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "maximum epochs")
	f.Float64Var(&cfg.PlateauFactor, "plateau-factor", cfg.PlateauFactor, "ReduceLROnPlateau factor")
	f.IntVar(&cfg.PlateauPatience, "plateau-patience", cfg.PlateauPatience, "ReduceLROnPlateau patience (epochs)")
	f.Float64Var(&cfg.PlateauMinDelta, "plateau-min-delta", cfg.PlateauMinDelta, "ReduceLROnPlateau min_delta")
	f.Float64Var(&cfg.PlateauMinLR, "plateau-min-lr", cfg.PlateauMinLR, "ReduceLROnPlateau min_lr")
	f.Float64Var(&cfg.EarlyMinDelta, "early-min-delta", cfg.EarlyMinDelta, "EarlyStopping min_delta")
	f.IntVar(&cfg.EarlyPatience, "early-patience", cfg.EarlyPatience, "EarlyStopping patience (0: off)")
	f.BoolVar(&cfg.EarlyRestore, "early-restore", cfg.EarlyRestore, "EarlyStopping restore_best_weights")
	f.Float64Var(&cfg.BNMomentum, "bn-momentum", cfg.BNMomentum, "batch-norm momentum (Keras's meaning)")
	f.Float64Var(&cfg.BNEpsilon, "bn-epsilon", cfg.BNEpsilon, "batch-norm epsilon")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed for initial weights and shuffling")
	f.IntVar(&cfg.Size, "size", cfg.Size, "input size in pixels (0: the images' own size)")
}
