package dev.rill.converter.onnx;

import dev.rill.converter.onnx.proto.AttributeProto;
import dev.rill.converter.onnx.proto.AttributeProto.AttributeType;
import dev.rill.converter.onnx.proto.NodeProto;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Typed, checked access to the attributes of one node; messages name the node and the attribute. */
final class NodeAttributes {

  private final NodeProto node;
  private final Map<String, AttributeProto> byName = new HashMap<>();

  NodeAttributes(NodeProto node) throws OnnxImportException {
    this.node = node;
    for (AttributeProto a : node.getAttributeList()) {
      if (!a.getRefAttrName().isEmpty()) {
        throw new OnnxImportException(describe(node) + ": attribute '" + a.getName()
            + "' refers to a function attribute (ref_attr_name), which is not supported");
      }
      if (byName.put(a.getName(), a) != null) {
        throw new OnnxImportException(describe(node) + ": attribute '" + a.getName() + "' appears twice");
      }
    }
  }

  /** "LSTM node 'name'" (or "LSTM node #unnamed" when the node has no name). */
  static String describe(NodeProto node) {
    return node.getOpType() + " node '" + node.getName() + "'";
  }

  /** Fails if the node has attributes outside {@code allowed}. */
  void requireOnly(Set<String> allowed) throws OnnxImportException {
    Set<String> unknown = new TreeSet<>(byName.keySet());
    unknown.removeAll(allowed);
    if (!unknown.isEmpty()) {
      throw new OnnxImportException(describe(node) + ": unknown attribute(s) " + unknown + " (expected a subset of "
          + new TreeSet<>(allowed) + ")");
    }
  }

  boolean has(String name) {
    return byName.containsKey(name);
  }

  AttributeProto get(String name) {
    return byName.get(name);
  }

  long getInt(String name, long fallback) throws OnnxImportException {
    AttributeProto a = typed(name, AttributeType.INT);
    return a == null ? fallback : a.getI();
  }

  float getFloat(String name, float fallback) throws OnnxImportException {
    AttributeProto a = typed(name, AttributeType.FLOAT);
    return a == null ? fallback : a.getF();
  }

  String getString(String name, String fallback) throws OnnxImportException {
    AttributeProto a = typed(name, AttributeType.STRING);
    return a == null ? fallback : a.getS().toString(StandardCharsets.UTF_8);
  }

  long[] getInts(String name) throws OnnxImportException {
    AttributeProto a = typed(name, AttributeType.INTS);
    return a == null ? null : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
  }

  float[] getFloats(String name) throws OnnxImportException {
    AttributeProto a = typed(name, AttributeType.FLOATS);
    if (a == null) {
      return null;
    }
    float[] out = new float[a.getFloatsCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.getFloats(i);
    }
    return out;
  }

  List<String> getStrings(String name) throws OnnxImportException {
    AttributeProto a = typed(name, AttributeType.STRINGS);
    if (a == null) {
      return null;
    }
    List<String> out = new ArrayList<>();
    a.getStringsList().forEach(s -> out.add(s.toString(StandardCharsets.UTF_8)));
    return out;
  }

  private AttributeProto typed(String name, AttributeType expected) throws OnnxImportException {
    AttributeProto a = byName.get(name);
    if (a == null) {
      return null;
    }
    AttributeType actual = a.hasType() ? a.getType() : inferType(a);
    if (actual != expected) {
      throw new OnnxImportException(describe(node) + ": attribute '" + name + "' has type " + actual
          + ", expected " + expected);
    }
    return a;
  }

  /** IR version 1 files have no type discriminator; infer it from the field that is set. */
  private static AttributeType inferType(AttributeProto a) {
    if (a.hasF()) {
      return AttributeType.FLOAT;
    } else if (a.hasI()) {
      return AttributeType.INT;
    } else if (a.hasS()) {
      return AttributeType.STRING;
    } else if (a.hasT()) {
      return AttributeType.TENSOR;
    } else if (a.hasG()) {
      return AttributeType.GRAPH;
    } else if (a.getFloatsCount() > 0) {
      return AttributeType.FLOATS;
    } else if (a.getIntsCount() > 0) {
      return AttributeType.INTS;
    } else if (a.getStringsCount() > 0) {
      return AttributeType.STRINGS;
    } else if (a.getTensorsCount() > 0) {
      return AttributeType.TENSORS;
    } else if (a.getGraphsCount() > 0) {
      return AttributeType.GRAPHS;
    }
    return AttributeType.UNDEFINED;
  }
}
