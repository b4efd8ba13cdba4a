package dev.rill.runtime.internal.layer;

import dev.rill.runtime.internal.kernel.CellKernel;
import dev.rill.runtime.internal.kernel.CellKind;
import java.util.List;

/**
 * A recurrent layer: one prepared {@link CellKernel} per direction (index 0 forward, 1 reverse).
 * Its output at a step is [D*H] per stream, the directions concatenated forward first.
 *
 * @param name the layer's name in the model file
 * @param kind the cell kind
 * @param reverseOnly true for a single-direction layer that runs backwards in time
 * @param cells one kernel per direction
 */
public record RecurrentLayer(String name, CellKind kind, boolean reverseOnly, List<CellKernel> cells)
    implements Layer {

  public RecurrentLayer {
    cells = List.copyOf(cells);
  }

  /** D: 2 for a bidirectional layer, else 1. */
  public int directions() {
    return cells.size();
  }

  /** True when the layer has a forward and a reverse direction. */
  public boolean isBidirectional() {
    return cells.size() == 2;
  }

  /** True when direction {@code d} of this layer runs backwards in time. */
  public boolean runsBackwards(int d) {
    return reverseOnly || d == 1;
  }

  /** H. */
  public int hiddenSize() {
    return cells.getFirst().spec().hiddenSize();
  }

  @Override
  public int inputSize() {
    return cells.getFirst().spec().inputSize();
  }

  @Override
  public int outputSize() {
    return directions() * hiddenSize();
  }
}
