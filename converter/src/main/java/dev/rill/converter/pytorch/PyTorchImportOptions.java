package dev.rill.converter.pytorch;

import dev.rill.format.proto.DataType;
import dev.rill.format.proto.OutputActivation;
import java.util.Objects;

/**
 * How to import PyTorch weights.
 *
 * @param spec the architecture, or null to infer it from names and shapes
 * @param rnnNonlinearity the nonlinearity of {@code nn.RNN}/{@code nn.RNNCell} modules that the spec does not set
 * @param outputActivation the activation after the last Linear module, unless the spec sets one
 * @param weightType how weight matrices are stored: FLOAT32, BFLOAT16 or INT8 (biases stay FLOAT32)
 */
public record PyTorchImportOptions(ArchitectureSpec spec, Nonlinearity rnnNonlinearity, OutputActivation outputActivation,
    DataType weightType) {

  /** Checks that the non-null parts are present. */
  public PyTorchImportOptions {
    Objects.requireNonNull(rnnNonlinearity, "rnnNonlinearity");
    Objects.requireNonNull(outputActivation, "outputActivation");
    Objects.requireNonNull(weightType, "weightType");
  }

  /** Infer the architecture; RNNs use tanh; no output activation; float32 weights. */
  public static PyTorchImportOptions defaults() {
    return new PyTorchImportOptions(null, Nonlinearity.TANH, OutputActivation.NONE, DataType.FLOAT32);
  }

  /** A copy with that spec. */
  public PyTorchImportOptions withSpec(ArchitectureSpec newSpec) {
    return new PyTorchImportOptions(newSpec, rnnNonlinearity, outputActivation, weightType);
  }

  /** A copy with that RNN nonlinearity. */
  public PyTorchImportOptions withRnnNonlinearity(Nonlinearity n) {
    return new PyTorchImportOptions(spec, n, outputActivation, weightType);
  }

  /** A copy with that output activation. */
  public PyTorchImportOptions withOutputActivation(OutputActivation a) {
    return new PyTorchImportOptions(spec, rnnNonlinearity, a, weightType);
  }

  /** A copy with that weight storage type. */
  public PyTorchImportOptions withWeightType(DataType type) {
    return new PyTorchImportOptions(spec, rnnNonlinearity, outputActivation, type);
  }
}
