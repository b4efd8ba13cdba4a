package dev.rill.flink;

import dev.rill.format.GateLayout;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.Recurrent;
import dev.rill.format.proto.RillModel;
import dev.rill.format.proto.Tensor;
import java.io.Serial;
import java.io.Serializable;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * What makes the recurrent state of one model meaningful to another: the shapes of its recurrent layers, which
 * fix the layout of the state, and a SHA-256 of its layers and weights, which fix what the state means. Two
 * models with equal identities compute the same thing; the model file's metadata, vocabulary and I/O names are
 * not part of it. Immutable.
 *
 * @param recurrentLayers the recurrent layers in model order, the layers a {@link dev.rill.runtime.State} holds
 * @param inputSize the floats per step the model takes
 * @param outputSize the floats per step the model produces
 * @param weightsSha256 lower-case hex SHA-256 of every layer's and every tensor's serialized message, in file order
 */
public record ModelIdentity(List<RecurrentLayerShape> recurrentLayers, int inputSize, int outputSize,
    String weightsSha256) implements Serializable {

  @Serial
  private static final long serialVersionUID = 1L;

  /**
   * The shape of one recurrent layer.
   *
   * @param name the layer's name in the model file
   * @param kind LSTM, GRU, MINIMAL_GRU or RNN
   * @param directions D, 1 or 2
   * @param inputSize X
   * @param hiddenSize H
   */
  public record RecurrentLayerShape(String name, String kind, int directions, int inputSize, int hiddenSize)
      implements Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    /** Validates the fields. */
    public RecurrentLayerShape {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(kind, "kind");
    }

    /** True for an LSTM, whose state has {@code c} as well as {@code h}. */
    public boolean hasCellState() {
      return kind.equals("LSTM");
    }

    /** Floats of {@code h} (and of {@code c} for an LSTM) of one stream: D × H. */
    public int floatsPerStream() {
      return directions * hiddenSize;
    }

    @Override
    public String toString() {
      return kind + " '" + name + "' (D=" + directions + ", X=" + inputSize + ", H=" + hiddenSize + ")";
    }
  }

  /** Validates the fields and copies the layer list. */
  public ModelIdentity {
    recurrentLayers = List.copyOf(recurrentLayers);
    Objects.requireNonNull(weightsSha256, "weightsSha256");
  }

  /** The identity of a validated model message. */
  public static ModelIdentity of(RillModel model) {
    List<RecurrentLayerShape> shapes = new ArrayList<>();
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    for (Layer layer : model.getLayersList()) {
      sha.update(layer.toByteArray());
      if (GateLayout.isRecurrent(layer)) {
        Recurrent recurrent = GateLayout.recurrent(layer);
        int directions = recurrent.getDirection() == Direction.BIDIRECTIONAL ? 2 : 1;
        shapes.add(new RecurrentLayerShape(layer.getName(), layer.getKindCase().name(), directions,
            recurrent.getInputSize(), recurrent.getHiddenSize()));
      }
    }
    for (Tensor tensor : model.getTensorsList()) {
      sha.update(tensor.toByteArray());
    }
    return new ModelIdentity(shapes, (int) model.getIo().getInputSize(), (int) model.getIo().getOutputSize(),
        HexFormat.of().formatHex(sha.digest()));
  }

  /** Bytes of one stream's serialized state: every layer's {@code h}, and {@code c} of LSTM layers, as float32. */
  public int stateBytes() {
    int floats = 0;
    for (RecurrentLayerShape layer : recurrentLayers) {
      floats += layer.floatsPerStream() * (layer.hasCellState() ? 2 : 1);
    }
    return floats * Float.BYTES;
  }

  /**
   * Why a state of {@code other}'s model cannot be fed to this model, or null when the identities are equal.
   * The first difference is named: the layer shapes, then the sizes, then the weights.
   *
   * @param other the identity to compare with
   * @param otherName how the message calls the other model, e.g. "the checkpoint's model"
   * @param thisName how the message calls this model, e.g. "this job's model"
   */
  public String differenceFrom(ModelIdentity other, String otherName, String thisName) {
    if (!recurrentLayers.equals(other.recurrentLayers)) {
      return otherName + " has the recurrent layers " + other.recurrentLayers + ", " + thisName + " "
          + recurrentLayers;
    }
    if (inputSize != other.inputSize || outputSize != other.outputSize) {
      return otherName + " takes " + other.inputSize + " and produces " + other.outputSize + " floats per step, "
          + thisName + " " + inputSize + " and " + outputSize;
    }
    if (!weightsSha256.equals(other.weightsSha256)) {
      return otherName + " has layers of the same shapes as " + thisName + " but other weights (SHA-256 "
          + other.weightsSha256 + " against " + weightsSha256 + ")";
    }
    return null;
  }

  @Override
  public String toString() {
    return "model with " + recurrentLayers + ", input " + inputSize + ", output " + outputSize
        + ", weights SHA-256 " + weightsSha256;
  }
}
