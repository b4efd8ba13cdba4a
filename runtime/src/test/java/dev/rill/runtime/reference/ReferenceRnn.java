package dev.rill.runtime.reference;

import dev.rill.format.Tensors;
import dev.rill.format.proto.Activation;
import dev.rill.format.proto.DenseLayer;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.Recurrent;
import dev.rill.format.proto.RillModel;
import dev.rill.format.proto.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The double-precision reference of a whole Rill model, written straight from the equations of the ONNX
 * LSTM, GRU and RNN operators (opset 22) and of {@code model.proto}, as plainly as possible: one sequence,
 * one step and one unit at a time, no batching, no buffers shared between steps.
 *
 * <p>Use {@link #run(RillModel, double[], int, int, int[], double[][], double[][])} for vector models and
 * {@link #runTokens} for token models. Arrays are time-major like the runtime's: inputs [T, N, X], outputs
 * [T, N, out], a recurrent layer's output [T, N, D*H] (directions concatenated, forward first), states
 * [D, N, H]. {@code lengths} are ONNX {@code sequence_lens} (null: all T); the initial states are per
 * recurrent layer (null: zeros). A zero-length sequence has a zero final state (ONNX Runtime's choice).
 *
 * <p>Only the weight values come from the file (decoded by {@link Tensors}); every equation is here.
 */
public final class ReferenceRnn {

  /**
   * The reference outputs.
   *
   * @param output [T, N, outputSize]
   * @param layerOutputs per recurrent layer, [T, N, D*H]
   * @param finalHidden per recurrent layer, [D, N, H]
   * @param finalCell per recurrent layer, [D, N, H] for LSTM, else null
   */
  public record Result(double[] output, List<double[]> layerOutputs, List<double[]> finalHidden,
      List<double[]> finalCell) {}

  private ReferenceRnn() {}

  /** Runs a vector model on x [T, N, X]. */
  public static Result run(RillModel model, double[] x, int steps, int batch, int[] lengths,
      double[][] initialHidden, double[][] initialCell) {
    return runLayers(model, x, steps, batch, lengths, initialHidden, initialCell);
  }

  /** Runs a token model on token ids [T, N]: each id is replaced by its embedding row first. */
  public static Result runTokens(RillModel model, int[] tokens, int steps, int batch, int[] lengths,
      double[][] initialHidden, double[][] initialCell) {
    Layer embedding = model.getLayers(0);
    int dim = embedding.getEmbedding().getDim();
    double[] table = tensor(model, embedding.getEmbedding().getWeight());
    double[] x = new double[tokens.length * dim];
    for (int i = 0; i < tokens.length; i++) {
      System.arraycopy(table, tokens[i] * dim, x, i * dim, dim);
    }
    return runLayers(model, x, steps, batch, lengths, initialHidden, initialCell);
  }

  private static Result runLayers(RillModel model, double[] x, int steps, int batch, int[] lengths,
      double[][] initialHidden, double[][] initialCell) {
    if (lengths == null) {
      lengths = new int[batch];
      java.util.Arrays.fill(lengths, steps);
    }
    List<double[]> layerOutputs = new ArrayList<>();
    List<double[]> finalHidden = new ArrayList<>();
    List<double[]> finalCell = new ArrayList<>();
    double[] current = x;
    for (Layer layer : model.getLayersList()) {
      switch (layer.getKindCase()) {
        case INPUT, EMBEDDING -> { }
        case DENSE -> current = dense(model, layer.getDense(), current, steps, batch, lengths);
        default -> {
          int r = layerOutputs.size();
          double[][] state = recurrent(model, layer, current, steps, batch, lengths,
              initialHidden == null ? null : initialHidden[r], initialCell == null ? null : initialCell[r]);
          current = state[0];
          layerOutputs.add(state[0]);
          finalHidden.add(state[1]);
          finalCell.add(state[2]);
        }
      }
    }
    return new Result(current, layerOutputs, finalHidden, finalCell);
  }

  /** Returns {Y [T,N,D*H], Y_h [D,N,H], Y_c [D,N,H] or null}. */
  private static double[][] recurrent(RillModel model, Layer layer, double[] x, int steps, int batch,
      int[] lengths, double[] h0, double[] c0) {
    Recurrent rec = switch (layer.getKindCase()) {
      case LSTM -> layer.getLstm().getRecurrent();
      case GRU -> layer.getGru().getRecurrent();
      case MINIMAL_GRU -> layer.getMinimalGru().getRecurrent();
      case RNN -> layer.getRnn().getRecurrent();
      default -> throw new IllegalArgumentException(layer.getKindCase().toString());
    };
    boolean lstm = layer.hasLstm();
    int gates = switch (layer.getKindCase()) {
      case LSTM -> 4;
      case GRU -> 3;
      case MINIMAL_GRU -> 2;
      default -> 1;
    };
    int functionsPerDirection = switch (layer.getKindCase()) {
      case LSTM -> 3;
      case RNN -> 1;
      default -> 2;
    };
    int dirs = rec.getDirection() == Direction.BIDIRECTIONAL ? 2 : 1;
    int inSize = rec.getInputSize();
    int hid = rec.getHiddenSize();
    double[] w = tensor(model, rec.getW());
    double[] r = tensor(model, rec.getR());
    double[] b = rec.getB().isEmpty() ? new double[dirs * 2 * gates * hid] : tensor(model, rec.getB());
    double[] p = lstm && !layer.getLstm().getP().isEmpty() ? tensor(model, layer.getLstm().getP()) : null;
    double[] y = new double[steps * batch * dirs * hid];
    double[] yh = new double[dirs * batch * hid];
    double[] yc = lstm ? new double[dirs * batch * hid] : null;
    for (int d = 0; d < dirs; d++) {
      Cell cell = new Cell(layer, gates, inSize, hid,
          slice(w, d, gates * hid * inSize), slice(r, d, gates * hid * hid), slice(b, d, 2 * gates * hid),
          p == null ? null : slice(p, d, 3 * hid), functions(rec, d, functionsPerDirection),
          rec.hasClip() ? rec.getClip() : Double.NaN);
      boolean backwards = rec.getDirection() == Direction.REVERSE || d == 1;
      for (int s = 0; s < batch; s++) {
        double[] h = h0 == null ? new double[hid] : slice(h0, d * batch + s, hid);
        double[] c = c0 == null ? new double[hid] : slice(c0, d * batch + s, hid);
        int len = lengths[s];
        for (int k = 0; k < len; k++) {
          int t = backwards ? len - 1 - k : k;
          double[] xt = slice(x, t * batch + s, inSize);
          cell.step(xt, h, c);
          System.arraycopy(h, 0, y, ((t * batch + s) * dirs + d) * hid, hid);
        }
        if (len > 0) {
          System.arraycopy(h, 0, yh, (d * batch + s) * hid, hid);
          if (lstm) {
            System.arraycopy(c, 0, yc, (d * batch + s) * hid, hid);
          }
        }
      }
    }
    return new double[][] {y, yh, yc};
  }

  /** One direction of one recurrent layer: the operator equations for one step of one sequence. */
  private record Cell(Layer layer, int gates, int inSize, int hid, double[] w, double[] r, double[] b,
      double[] p, Activation[] fn, double clip) {

    /** x·W[row] + h·R[row] + Wb[row] + Rb[row]. */
    double pre(int row, double[] x, double[] h) {
      return dotW(row, x) + dotR(row, h) + b[row] + b[gates * hid + row];
    }

    double dotW(int row, double[] x) {
      double sum = 0;
      for (int k = 0; k < inSize; k++) {
        sum += w[row * inSize + k] * x[k];
      }
      return sum;
    }

    double dotR(int row, double[] h) {
      double sum = 0;
      for (int k = 0; k < hid; k++) {
        sum += r[row * hid + k] * h[k];
      }
      return sum;
    }

    double clip(double v) {
      return Double.isNaN(clip) ? v : Math.max(-clip, Math.min(clip, v));
    }

    /** Updates h (and c for LSTM) in place. */
    void step(double[] x, double[] h, double[] c) {
      double[] hNew = new double[hid];
      switch (layer.getKindCase()) {
        case LSTM -> {
          // Gate order i, o, f, c; peepholes i, o, f.
          boolean inputForget = layer.getLstm().getInputForget();
          for (int j = 0; j < hid; j++) {
            double pi = p == null ? 0 : p[j];
            double po = p == null ? 0 : p[hid + j];
            double pf = p == null ? 0 : p[2 * hid + j];
            double i = apply(fn[0], clip(pre(j, x, h) + pi * c[j]));
            double f = inputForget ? 1 - i : apply(fn[0], clip(pre(2 * hid + j, x, h) + pf * c[j]));
            double g = apply(fn[1], clip(pre(3 * hid + j, x, h)));
            double cNew = f * c[j] + i * g;
            double o = apply(fn[0], clip(pre(hid + j, x, h) + po * cNew));
            hNew[j] = o * apply(fn[2], cNew);
            c[j] = cNew; // c[j] is not read again for other units
          }
        }
        case GRU -> {
          // Gate order z, r, h.
          boolean linearBeforeReset = layer.getGru().getLinearBeforeReset();
          double[] z = new double[hid];
          double[] rg = new double[hid];
          for (int j = 0; j < hid; j++) {
            z[j] = apply(fn[0], clip(pre(j, x, h)));
            rg[j] = apply(fn[0], clip(pre(hid + j, x, h)));
          }
          double[] rh = new double[hid];
          for (int k = 0; k < hid; k++) {
            rh[k] = rg[k] * h[k];
          }
          for (int j = 0; j < hid; j++) {
            int row = 2 * hid + j;
            double wbh = b[row];
            double rbh = b[gates * hid + row];
            double a = linearBeforeReset
                ? dotW(row, x) + rg[j] * (dotR(row, h) + rbh) + wbh
                : dotW(row, x) + dotR(row, rh) + rbh + wbh;
            double candidate = apply(fn[1], clip(a));
            hNew[j] = (1 - z[j]) * candidate + z[j] * h[j];
          }
        }
        case MINIMAL_GRU -> {
          // Gate order u, c: h' = u * c~ + (1 - u) * h.
          for (int j = 0; j < hid; j++) {
            double u = apply(fn[0], clip(pre(j, x, h)));
            double candidate = apply(fn[1], clip(pre(hid + j, x, h)));
            hNew[j] = u * candidate + (1 - u) * h[j];
          }
        }
        case RNN -> {
          for (int j = 0; j < hid; j++) {
            hNew[j] = apply(fn[0], clip(pre(j, x, h)));
          }
        }
        default -> throw new IllegalStateException();
      }
      System.arraycopy(hNew, 0, h, 0, hid);
    }
  }

  /** The ONNX activation functions, in double. */
  public static double apply(Activation a, double x) {
    double alpha = a.getAlpha();
    double beta = a.getBeta();
    return switch (a.getKind()) {
      case SIGMOID -> 1 / (1 + Math.exp(-x));
      case TANH -> Math.tanh(x);
      case RELU -> Math.max(0, x);
      case HARD_SIGMOID -> Math.max(0, Math.min(1, alpha * x + beta));
      case LEAKY_RELU -> x >= 0 ? x : alpha * x;
      case THRESHOLDED_RELU -> x > alpha ? x : 0;
      case SCALED_TANH -> alpha * Math.tanh(beta * x);
      case AFFINE -> alpha * x + beta;
      case ELU -> x >= 0 ? x : alpha * (Math.exp(x) - 1);
      case SOFTSIGN -> x / (1 + Math.abs(x));
      case SOFTPLUS -> Math.log(1 + Math.exp(x));
      default -> throw new IllegalArgumentException("activation " + a.getKind());
    };
  }

  private static Activation[] functions(Recurrent rec, int d, int count) {
    if (rec.getActivations().getFunctionsCount() == 0) {
      Activation sigmoid = Activation.newBuilder().setKind(dev.rill.format.proto.ActivationKind.SIGMOID).build();
      Activation tanh = Activation.newBuilder().setKind(dev.rill.format.proto.ActivationKind.TANH).build();
      return switch (count) {
        case 3 -> new Activation[] {sigmoid, tanh, tanh};
        case 2 -> new Activation[] {sigmoid, tanh};
        default -> new Activation[] {tanh};
      };
    }
    return rec.getActivations().getFunctionsList().subList(d * count, (d + 1) * count).toArray(new Activation[0]);
  }

  /** y = W x + b per row, then the output activation; rows past a sequence's length are zero. */
  private static double[] dense(RillModel model, DenseLayer layer, double[] x, int steps, int batch,
      int[] lengths) {
    int in = layer.getInputSize();
    int out = layer.getOutputSize();
    double[] w = tensor(model, layer.getWeight());
    double[] b = layer.getBias().isEmpty() ? new double[out] : tensor(model, layer.getBias());
    double[] y = new double[steps * batch * out];
    for (int t = 0; t < steps; t++) {
      for (int s = 0; s < batch; s++) {
        if (t >= lengths[s]) {
          continue;
        }
        int row = t * batch + s;
        double[] v = new double[out];
        for (int o = 0; o < out; o++) {
          double sum = b[o];
          for (int k = 0; k < in; k++) {
            sum += w[o * in + k] * x[row * in + k];
          }
          v[o] = sum;
        }
        outputActivation(layer, v);
        System.arraycopy(v, 0, y, row * out, out);
      }
    }
    return y;
  }

  private static void outputActivation(DenseLayer layer, double[] v) {
    switch (layer.getActivation()) {
      case SOFTMAX, LOG_SOFTMAX -> {
        double max = Double.NEGATIVE_INFINITY;
        for (double e : v) {
          max = Math.max(max, e);
        }
        double sum = 0;
        for (double e : v) {
          sum += Math.exp(e - max);
        }
        for (int i = 0; i < v.length; i++) {
          v[i] = layer.getActivation() == dev.rill.format.proto.OutputActivation.SOFTMAX
              ? Math.exp(v[i] - max) / sum
              : v[i] - max - Math.log(sum);
        }
      }
      case OUTPUT_SIGMOID -> {
        for (int i = 0; i < v.length; i++) {
          v[i] = 1 / (1 + Math.exp(-v[i]));
        }
      }
      case OUTPUT_TANH -> {
        for (int i = 0; i < v.length; i++) {
          v[i] = Math.tanh(v[i]);
        }
      }
      default -> { }
    }
  }

  /** A tensor's values as doubles, decoded from any dtype by the format module. */
  public static double[] tensor(RillModel model, String name) {
    Tensor t = model.getTensorsList().stream().filter(x -> x.getName().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no tensor " + name));
    float[] values = Tensors.toFloats(t);
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  private static double[] slice(double[] all, int index, int length) {
    return java.util.Arrays.copyOfRange(all, index * length, (index + 1) * length);
  }
}
