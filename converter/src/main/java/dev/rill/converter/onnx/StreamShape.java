package dev.rill.converter.onnx;

import java.util.ArrayList;
import java.util.List;

/**
 * The symbolic shape of a value that carries the model's data through the graph: each axis is a product of
 * base tags (time T, batch N, features F, directions D, hidden H), so that the importer can follow the
 * Transpose, Squeeze, Unsqueeze and Reshape nodes exporters put between layers without knowing T or N.
 *
 * @param axes each axis as the list of tags whose product it is (empty list = an axis of size 1)
 * @param lastStep true when the time axis was consumed by taking the final state (Y_h)
 */
record StreamShape(List<List<Tag>> axes, boolean lastStep) {

  /** A base dimension: kind 'T', 'N', 'F', 'D' or 'H', and its size (-1 if unknown, only for T and N). */
  record Tag(char kind, long size) {
    @Override
    public String toString() {
      return size < 0 ? String.valueOf(kind) : kind + "=" + size;
    }
  }

  static StreamShape of(boolean lastStep, List<Tag>... axes) {
    List<List<Tag>> list = new ArrayList<>();
    for (List<Tag> a : axes) {
      list.add(List.copyOf(a));
    }
    return new StreamShape(List.copyOf(list), lastStep);
  }

  int rank() {
    return axes.size();
  }

  /** Size of axis i, or -1 if it contains an unknown tag. */
  long size(int i) {
    long s = 1;
    for (Tag t : axes.get(i)) {
      if (t.size() < 0) {
        return -1;
      }
      s *= t.size();
    }
    return s;
  }

  /** All base tags in order, skipping size-1 tags (they carry no data). */
  List<Tag> flat() {
    List<Tag> out = new ArrayList<>();
    for (List<Tag> a : axes) {
      for (Tag t : a) {
        if (t.size() != 1) {
          out.add(t);
        }
      }
    }
    return out;
  }

  /** True if axis i is exactly the single tag kind (ignoring size-1 tags). */
  boolean axisIs(int i, char kind) {
    List<Tag> real = axes.get(i).stream().filter(t -> t.size() != 1 || t.kind() == kind).toList();
    return real.size() == 1 && real.get(0).kind() == kind;
  }

  /** True if axis i holds only feature data (F, or D then H, forward direction first). */
  boolean isFeatureAxis(int i) {
    List<Tag> real = axes.get(i).stream().filter(t -> t.size() != 1).toList();
    if (real.isEmpty()) {
      return false;
    }
    if (real.size() == 1) {
      return real.get(0).kind() == 'F' || real.get(0).kind() == 'H';
    }
    return real.size() == 2 && real.get(0).kind() == 'D' && real.get(1).kind() == 'H';
  }

  @Override
  public String toString() {
    return axes.toString();
  }
}
