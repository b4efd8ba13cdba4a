package dev.rill.format;

import dev.rill.format.proto.Activation;
import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.Recurrent;
import java.util.List;
import java.util.Objects;

/**
 * The canonical gate order and weight layout of {@code model.proto}, in code, so that every module maps gates
 * one way. Gate order is the ONNX one: LSTM i, o, f, c; GRU z, r, h; MINIMAL_GRU u, c; RNN one gate. With G gates,
 * H the hidden size, X the input size and D directions: W [D, G*H, X], R [D, G*H, H], B [D, 2*G*H] (Wb then Rb),
 * P [D, 3*H] (i, o, f).
 */
public final class GateLayout {
  /** LSTM gate index of the input gate i. */
  public static final int LSTM_I = 0;
  /** LSTM gate index of the output gate o. */
  public static final int LSTM_O = 1;
  /** LSTM gate index of the forget gate f. */
  public static final int LSTM_F = 2;
  /** LSTM gate index of the cell candidate c. */
  public static final int LSTM_C = 3;
  /** GRU gate index of the update gate z. */
  public static final int GRU_Z = 0;
  /** GRU gate index of the reset gate r. */
  public static final int GRU_R = 1;
  /** GRU gate index of the hidden candidate h. */
  public static final int GRU_H = 2;
  /** MINIMAL_GRU gate index of the update gate u. */
  public static final int MINIMAL_GRU_U = 0;
  /** MINIMAL_GRU gate index of the candidate c. */
  public static final int MINIMAL_GRU_C = 1;

  private static final Activation SIGMOID = Activation.newBuilder().setKind(ActivationKind.SIGMOID).build();
  private static final Activation TANH = Activation.newBuilder().setKind(ActivationKind.TANH).build();

  private GateLayout() {}

  /**
   * Tells whether a layer is recurrent (LSTM, GRU, minimal GRU or RNN).
   *
   * @param layer the layer
   * @return true for a recurrent layer
   */
  public static boolean isRecurrent(Layer layer) {
    return switch (layer.getKindCase()) {
      case LSTM, GRU, MINIMAL_GRU, RNN -> true;
      default -> false;
    };
  }

  /**
   * Returns the fields shared by every recurrent layer.
   *
   * @param layer a recurrent layer
   * @return its {@link Recurrent} part
   * @throws IllegalArgumentException if the layer is not recurrent
   */
  public static Recurrent recurrent(Layer layer) {
    return switch (layer.getKindCase()) {
      case LSTM -> layer.getLstm().getRecurrent();
      case GRU -> layer.getGru().getRecurrent();
      case MINIMAL_GRU -> layer.getMinimalGru().getRecurrent();
      case RNN -> layer.getRnn().getRecurrent();
      default -> throw notRecurrent(layer);
    };
  }

  /**
   * Returns the number of gates G of a recurrent layer.
   *
   * @param layer a recurrent layer
   * @return 4 (LSTM), 3 (GRU), 2 (minimal GRU) or 1 (RNN)
   * @throws IllegalArgumentException if the layer is not recurrent
   */
  public static int gates(Layer layer) {
    return switch (layer.getKindCase()) {
      case LSTM -> 4;
      case GRU -> 3;
      case MINIMAL_GRU -> 2;
      case RNN -> 1;
      default -> throw notRecurrent(layer);
    };
  }

  /**
   * Returns the number of activation functions per direction (f, g[, h]) of a recurrent layer.
   *
   * @param layer a recurrent layer
   * @return 3 (LSTM), 2 (GRU, minimal GRU) or 1 (RNN)
   * @throws IllegalArgumentException if the layer is not recurrent
   */
  public static int activationsPerDirection(Layer layer) {
    return switch (layer.getKindCase()) {
      case LSTM -> 3;
      case GRU, MINIMAL_GRU -> 2;
      case RNN -> 1;
      default -> throw notRecurrent(layer);
    };
  }

  /**
   * Returns the number of directions D.
   *
   * @param direction FORWARD, REVERSE or BIDIRECTIONAL
   * @return 1, or 2 for BIDIRECTIONAL
   * @throws IllegalArgumentException for an unspecified or unknown direction
   */
  public static int directions(Direction direction) {
    return switch (direction) {
      case FORWARD, REVERSE -> 1;
      case BIDIRECTIONAL -> 2;
      default -> throw new IllegalArgumentException("no direction count for " + direction);
    };
  }

  /**
   * Returns the activation functions of one direction of a recurrent layer, with the ONNX defaults filled in
   * when the layer has no overrides: LSTM [sigmoid, tanh, tanh], GRU and minimal GRU [sigmoid, tanh], RNN [tanh].
   *
   * @param layer a validated recurrent layer
   * @param direction 0 for forward (or the only direction), 1 for the reverse direction of a bidirectional layer
   * @return {@link #activationsPerDirection} functions f, g[, h]
   * @throws IndexOutOfBoundsException if the layer has no such direction
   */
  public static List<Activation> activations(Layer layer, int direction) {
    Objects.checkIndex(direction, directions(recurrent(layer).getDirection()));
    int count = activationsPerDirection(layer);
    List<Activation> given = recurrent(layer).getActivations().getFunctionsList();
    if (given.isEmpty()) {
      return switch (count) {
        case 3 -> List.of(SIGMOID, TANH, TANH);
        case 2 -> List.of(SIGMOID, TANH);
        default -> List.of(TANH);
      };
    }
    return List.copyOf(given.subList(direction * count, (direction + 1) * count));
  }

  /**
   * Returns the expected shape of the input weights W.
   *
   * @param layer a recurrent layer with a known direction
   * @return [D, G*H, X]
   */
  public static long[] wShape(Layer layer) {
    Recurrent rec = recurrent(layer);
    return new long[] {d(rec), gates(layer) * h(rec), Integer.toUnsignedLong(rec.getInputSize())};
  }

  /**
   * Returns the expected shape of the recurrent weights R.
   *
   * @param layer a recurrent layer with a known direction
   * @return [D, G*H, H]
   */
  public static long[] rShape(Layer layer) {
    Recurrent rec = recurrent(layer);
    return new long[] {d(rec), gates(layer) * h(rec), h(rec)};
  }

  /**
   * Returns the expected shape of the biases B (input biases Wb, then recurrent biases Rb).
   *
   * @param layer a recurrent layer with a known direction
   * @return [D, 2*G*H]
   */
  public static long[] bShape(Layer layer) {
    Recurrent rec = recurrent(layer);
    return new long[] {d(rec), 2 * gates(layer) * h(rec)};
  }

  /**
   * Returns the expected shape of LSTM peepholes P (order i, o, f).
   *
   * @param layer an LSTM layer with a known direction
   * @return [D, 3*H]
   */
  public static long[] pShape(Layer layer) {
    Recurrent rec = recurrent(layer);
    return new long[] {d(rec), 3 * h(rec)};
  }

  /**
   * Returns how many values one step of a layer produces: the input size, the embedding dim, D*H for a
   * recurrent layer (directions concatenated, forward first) or the dense output size.
   *
   * @param layer a layer with a kind (and a known direction if recurrent)
   * @return the layer's output width
   * @throws IllegalArgumentException if the layer has no kind
   */
  public static long outputSize(Layer layer) {
    return switch (layer.getKindCase()) {
      case INPUT -> Integer.toUnsignedLong(layer.getInput().getSize());
      case EMBEDDING -> Integer.toUnsignedLong(layer.getEmbedding().getDim());
      case DENSE -> Integer.toUnsignedLong(layer.getDense().getOutputSize());
      case LSTM, GRU, MINIMAL_GRU, RNN -> d(recurrent(layer)) * h(recurrent(layer));
      default -> throw new IllegalArgumentException("layer '" + layer.getName() + "' has no kind");
    };
  }

  /**
   * Returns the short lower-case name of a layer's kind, as used in error messages.
   *
   * @param layer the layer
   * @return "input", "embedding", "lstm", "gru", "minimal_gru", "rnn", "dense" or "no kind"
   */
  public static String kindName(Layer layer) {
    return switch (layer.getKindCase()) {
      case INPUT -> "input";
      case EMBEDDING -> "embedding";
      case LSTM -> "lstm";
      case GRU -> "gru";
      case MINIMAL_GRU -> "minimal_gru";
      case RNN -> "rnn";
      case DENSE -> "dense";
      case KIND_NOT_SET -> "no kind";
    };
  }

  private static long d(Recurrent rec) {
    return directions(rec.getDirection());
  }

  private static long h(Recurrent rec) {
    return Integer.toUnsignedLong(rec.getHiddenSize());
  }

  private static IllegalArgumentException notRecurrent(Layer layer) {
    return new IllegalArgumentException(
        "layer '" + layer.getName() + "' (" + kindName(layer) + ") is not a recurrent layer");
  }
}
