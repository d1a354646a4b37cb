package dev.aigateway.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The packages of the core and which of them each one's compiled classes name (in their constant
 * pools, as the JVM links them: a type, a method's or a field's signature, an inlined constant's
 * class), for the tests that guard the core's layering (docs/design.md, "Package dependencies"). A
 * type named only in a comment or in javadoc is no dependency here.
 */
public final class CorePackageGraph {

  /** A class of one of the core's packages, as a class file names it. */
  private static final Pattern CORE_CLASS =
      Pattern.compile("dev/aigateway/core/((?:[a-z0-9_]+/)*)([A-Z][A-Za-z0-9_]*)");

  private static final String ROOT = "dev.aigateway.core";

  /** Package, its class files' names, in order. */
  private final Map<String, Set<String>> classes = new TreeMap<>();

  /** Package, then each other package it names, then "Naming.class -> Named" for each use. */
  private final Map<String, Map<String, Set<String>>> names = new TreeMap<>();

  private CorePackageGraph() {}

  /** Reads the compiled classes of the core's main sources. */
  public static CorePackageGraph read() {
    CorePackageGraph graph = new CorePackageGraph();
    try {
      Path classesRoot =
          Path.of(AiGateway.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path core = classesRoot.resolve("dev/aigateway/core");
      try (Stream<Path> files = Files.walk(core)) {
        for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
          graph.add(core.relativize(file));
        }
      }
      for (String pkg : graph.classes.keySet()) {
        for (String file : graph.classes.get(pkg)) {
          graph.readNames(pkg, file, core);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return graph;
  }

  private void add(Path relative) {
    Path dir = relative.getParent();
    String pkg = dir == null ? ROOT : ROOT + "." + dir.toString().replace('/', '.');
    classes.computeIfAbsent(pkg, p -> new TreeSet<>()).add(relative.getFileName().toString());
  }

  private void readNames(String pkg, String file, Path core) throws IOException {
    Path dir =
        pkg.equals(ROOT) ? core : core.resolve(pkg.substring(ROOT.length() + 1).replace('.', '/'));
    // Class names stand in the constant pool as modified UTF-8, plain ASCII for these names.
    String text = new String(Files.readAllBytes(dir.resolve(file)), StandardCharsets.ISO_8859_1);
    Matcher m = CORE_CLASS.matcher(text);
    while (m.find()) {
      String sub = m.group(1);
      String named =
          sub.isEmpty() ? ROOT : ROOT + "." + sub.substring(0, sub.length() - 1).replace('/', '.');
      if (!named.equals(pkg)) {
        names
            .computeIfAbsent(pkg, p -> new TreeMap<>())
            .computeIfAbsent(named, p -> new TreeSet<>())
            .add(file + " -> " + named + "." + m.group(2));
      }
    }
  }

  /** The class files of {@code pkg} (a full package name), by file name. */
  public Set<String> classesOf(String pkg) {
    return classes.getOrDefault(pkg, Set.of());
  }

  /** The core's other packages that {@code pkg}'s classes name. */
  public Set<String> packagesNamedBy(String pkg) {
    return names.getOrDefault(pkg, Map.of()).keySet();
  }

  /**
   * Each use, by a class of {@code pkg}, of a class of a core package not in {@code allowed}, as
   * "Naming.class -> package.Named".
   */
  public List<String> usesOutside(String pkg, Set<String> allowed) {
    List<String> uses = new ArrayList<>();
    names
        .getOrDefault(pkg, Map.of())
        .forEach(
            (named, each) -> {
              if (!allowed.contains(named)) {
                uses.addAll(each);
              }
            });
    return uses;
  }

  /** Each use of a class of {@code named} by a class of another package than {@code except}. */
  public List<String> usesOf(String named, Set<String> except) {
    List<String> uses = new ArrayList<>();
    names.forEach(
        (pkg, byNamed) -> {
          if (!except.contains(pkg)) {
            uses.addAll(
                byNamed.getOrDefault(named, Set.of()).stream().map(u -> pkg + ": " + u).toList());
          }
        });
    return uses;
  }

  /**
   * The groups of packages that depend on one another (the strongly connected components of more
   * than one package), each sorted; empty when the core's packages are layered.
   */
  public List<Set<String>> cycles() {
    // Tarjan's algorithm; recursive, for a graph of a few dozen packages.
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new TreeSet<>();
    List<Set<String>> groups = new ArrayList<>();
    for (String pkg : classes.keySet()) {
      if (!index.containsKey(pkg)) {
        connect(pkg, index, low, stack, onStack, groups);
      }
    }
    return groups;
  }

  private void connect(
      String pkg,
      Map<String, Integer> index,
      Map<String, Integer> low,
      Deque<String> stack,
      Set<String> onStack,
      List<Set<String>> groups) {
    index.put(pkg, index.size());
    low.put(pkg, index.get(pkg));
    stack.push(pkg);
    onStack.add(pkg);
    for (String named : packagesNamedBy(pkg)) {
      if (!index.containsKey(named)) {
        connect(named, index, low, stack, onStack, groups);
        low.put(pkg, Math.min(low.get(pkg), low.get(named)));
      } else if (onStack.contains(named)) {
        low.put(pkg, Math.min(low.get(pkg), index.get(named)));
      }
    }
    if (low.get(pkg).equals(index.get(pkg))) {
      Set<String> group = new TreeSet<>();
      String member;
      do {
        member = stack.pop();
        onStack.remove(member);
        group.add(member);
      } while (!member.equals(pkg));
      if (group.size() > 1) {
        groups.add(group);
      }
    }
  }
}
