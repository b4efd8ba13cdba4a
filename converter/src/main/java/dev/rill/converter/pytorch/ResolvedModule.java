package dev.rill.converter.pytorch;

import dev.rill.converter.safetensors.SafetensorsTensor;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * A module whose kind is decided and whose parameter shapes are checked.
 *
 * @param module the tensors
 * @param kind what it is
 * @param inputSize features per step it consumes (the vocabulary size for an embedding)
 * @param outputSize features per step it produces
 * @param hidden hidden size H (recurrent only)
 * @param layers stacked layers (1 for a cell)
 * @param directions 1, or 2 for a bidirectional stack
 * @param bias whether bias parameters are present
 */
record ResolvedModule(ScannedModule module, ModuleKind kind, int inputSize, int outputSize, int hidden, int layers,
    int directions, boolean bias) {

  /** Describes the module for messages, e.g. {@code rnn (lstm 64->128)}. */
  String describe() {
    return module.displayName() + " (" + kind.specName() + " " + inputSize + "->" + outputSize + ")";
  }

  /** The parameter name of a stack or cell: {@code weight_ih}, {@code weight_ih_l1}, {@code weight_ih_l1_reverse}. */
  static String param(String base, boolean cell, int layer, boolean reverse) {
    return cell ? base : base + "_l" + layer + (reverse ? "_reverse" : "");
  }

  /**
   * Checks a recurrent module (stack or cell) and reads its sizes from the shapes.
   *
   * @throws PyTorchImportException naming the parameter whose shape or presence is wrong
   */
  static ResolvedModule recurrent(ScannedModule m) throws PyTorchImportException {
    boolean cell = m.family() == ScannedModule.Family.CELL;
    String hh0Name = param("weight_hh", cell, 0, false);
    int[] hh0 = matrix(m, hh0Name);
    int hidden = hh0[1];
    if (hidden == 0 || hh0[0] % hidden != 0 || !(hh0[0] / hidden == 1 || hh0[0] / hidden == 3 || hh0[0] / hidden == 4)) {
      throw new PyTorchImportException("module '" + m.displayName() + "': " + m.tensorName(hh0Name) + " has shape "
          + Arrays.toString(hh0) + "; its rows must be 1, 3 or 4 times its columns (RNN, GRU or LSTM with hidden size = columns)");
    }
    int gates = hh0[0] / hidden;
    int layers = 1;
    if (!cell) {
      for (String p : m.paramNames()) {
        layers = Math.max(layers, ScannedModule.layerOf(p) + 1);
      }
    }
    int directions = !cell && m.param("weight_ih_l0_reverse") != null ? 2 : 1;
    boolean bias = m.param(param("bias_ih", cell, 0, false)) != null;
    int inputSize = matrix(m, param("weight_ih", cell, 0, false))[1];
    Set<String> expected = new HashSet<>();
    for (int k = 0; k < layers; k++) {
      int x = k == 0 ? inputSize : directions * hidden;
      for (int d = 0; d < directions; d++) {
        boolean reverse = d == 1;
        expectShape(m, expected, param("weight_ih", cell, k, reverse), gates * hidden, x);
        expectShape(m, expected, param("weight_hh", cell, k, reverse), gates * hidden, hidden);
        if (bias) {
          expectShape(m, expected, param("bias_ih", cell, k, reverse), gates * hidden);
          expectShape(m, expected, param("bias_hh", cell, k, reverse), gates * hidden);
        }
      }
    }
    for (String p : m.paramNames()) {
      if (!expected.contains(p)) {
        throw new PyTorchImportException("module '" + m.displayName() + "': unexpected parameter " + m.tensorName(p)
            + " (layers 0.." + (layers - 1) + ", " + (directions == 2 ? "bidirectional" : "forward")
            + (bias ? ", with biases" : ", without biases") + " per " + m.tensorName(param("weight_ih", cell, 0, false)) + ")");
      }
    }
    return new ResolvedModule(m, ModuleKind.recurrentOf(gates, cell), inputSize, directions * hidden, hidden, layers, directions, bias);
  }

  /**
   * Checks an nn.Linear: {@code weight} [out, in], optional {@code bias} [out].
   *
   * @throws PyTorchImportException naming the parameter whose shape is wrong
   */
  static ResolvedModule linear(ScannedModule m) throws PyTorchImportException {
    int[] w = matrix(m, "weight");
    boolean bias = m.param("bias") != null;
    if (bias) {
      expectShape(m, new HashSet<>(), "bias", w[0]);
    }
    return new ResolvedModule(m, ModuleKind.LINEAR, w[1], w[0], 0, 1, 1, bias);
  }

  /**
   * Checks an nn.Embedding: {@code weight} [vocabulary, dim] and nothing else.
   *
   * @throws PyTorchImportException if the shape is wrong or the module has a bias
   */
  static ResolvedModule embedding(ScannedModule m) throws PyTorchImportException {
    int[] w = matrix(m, "weight");
    if (m.param("bias") != null) {
      throw new PyTorchImportException("module '" + m.displayName() + "': an embedding has no bias, but " + m.tensorName("bias") + " is present");
    }
    return new ResolvedModule(m, ModuleKind.EMBEDDING, w[0], w[1], 0, 1, 1, false);
  }

  private static int[] matrix(ScannedModule m, String param) throws PyTorchImportException {
    SafetensorsTensor t = m.param(param);
    if (t == null) {
      throw new PyTorchImportException("module '" + m.displayName() + "': missing parameter " + m.tensorName(param));
    }
    if (t.rank() != 2) {
      throw new PyTorchImportException("tensor '" + t.name() + "': expected 2 dimensions, found shape " + Arrays.toString(t.shape()));
    }
    return new int[] {toInt(t, 0), toInt(t, 1)};
  }

  private static void expectShape(ScannedModule m, Set<String> seen, String param, int... dims) throws PyTorchImportException {
    SafetensorsTensor t = m.param(param);
    if (t == null) {
      throw new PyTorchImportException("module '" + m.displayName() + "': missing parameter " + m.tensorName(param));
    }
    long[] expected = Arrays.stream(dims).asLongStream().toArray();
    if (!Arrays.equals(t.shape(), expected)) {
      throw new PyTorchImportException("tensor '" + t.name() + "': expected shape " + Arrays.toString(expected) + ", found "
          + Arrays.toString(t.shape()));
    }
    seen.add(param);
  }

  private static int toInt(SafetensorsTensor t, int dim) throws PyTorchImportException {
    long v = t.dim(dim);
    if (v > Integer.MAX_VALUE) {
      throw new PyTorchImportException("tensor '" + t.name() + "': dimension " + dim + " of " + v + " is too large");
    }
    return (int) v;
  }
}
