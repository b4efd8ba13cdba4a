package dev.rill.converter.onnx;

import dev.rill.converter.onnx.proto.AttributeProto;
import dev.rill.converter.onnx.proto.GraphProto;
import dev.rill.converter.onnx.proto.NodeProto;
import dev.rill.converter.onnx.proto.TensorProto;
import dev.rill.converter.onnx.proto.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The names visible in one ONNX graph: its initializers, graph inputs and node outputs, with the enclosing
 * graph as parent (a subgraph of an {@code If} sees the values of the graphs around it).
 */
final class GraphScope {

  final GraphProto graph;
  final GraphScope parent;
  /** Human-readable position for messages: "main graph", "then_branch of node 'If_3'". */
  final String label;
  final Map<String, TensorProto> initializers = new HashMap<>();
  final Map<String, NodeProto> producers = new HashMap<>();
  final Set<String> inputs = new HashSet<>();
  /** Values already folded to constants in this scope. */
  final Map<String, ConstTensor> folded = new HashMap<>();

  GraphScope(GraphProto graph, GraphScope parent, String label) {
    this.graph = graph;
    this.parent = parent;
    this.label = label;
    for (TensorProto t : graph.getInitializerList()) {
      initializers.put(t.getName(), t);
    }
    for (ValueInfoProto v : graph.getInputList()) {
      inputs.add(v.getName());
    }
    for (NodeProto n : graph.getNodeList()) {
      for (String out : n.getOutputList()) {
        if (!out.isEmpty()) {
          producers.put(out, n);
        }
      }
    }
  }

  /** The innermost scope (this or an ancestor) that defines {@code name}, or null. */
  GraphScope owner(String name) {
    for (GraphScope s = this; s != null; s = s.parent) {
      if (s.initializers.containsKey(name) || s.producers.containsKey(name) || s.inputs.contains(name)) {
        return s;
      }
    }
    return null;
  }

  /** True if {@code name} is a graph input of its owner that no initializer provides. */
  boolean isRuntimeInput(String name) {
    GraphScope s = owner(name);
    return s != null && s.inputs.contains(name) && !s.initializers.containsKey(name)
        && !s.producers.containsKey(name);
  }

  /** The node that produces {@code name} in its owner scope, or null. */
  NodeProto producer(String name) {
    GraphScope s = owner(name);
    return s == null ? null : s.producers.get(name);
  }

  /** A node of this graph or of any nested subgraph, together with the scope it lives in. */
  record Located(NodeProto node, GraphScope scope) {}

  /** Every node of this graph and of all subgraphs, depth first, in graph order. */
  List<Located> allNodes() {
    List<Located> out = new ArrayList<>();
    collect(out, 0);
    return out;
  }

  private void collect(List<Located> out, int depth) {
    for (NodeProto n : graph.getNodeList()) {
      out.add(new Located(n, this));
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          new GraphScope(a.getG(), this, a.getName() + " of node '" + n.getName() + "'").collect(out, depth + 1);
        }
        for (GraphProto g : a.getGraphsList()) {
          new GraphScope(g, this, a.getName() + " of node '" + n.getName() + "'").collect(out, depth + 1);
        }
      }
    }
  }
}
