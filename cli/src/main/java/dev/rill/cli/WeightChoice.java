package dev.rill.cli;

import dev.rill.format.proto.DataType;

/** The {@code --weights} choices: how weight matrices are stored in the converted model. */
enum WeightChoice {
  F32(DataType.FLOAT32),
  BF16(DataType.BFLOAT16),
  INT8(DataType.INT8);

  final DataType dataType;

  WeightChoice(DataType dataType) {
    this.dataType = dataType;
  }
}
