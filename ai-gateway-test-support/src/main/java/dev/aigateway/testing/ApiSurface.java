package dev.aigateway.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * What a module shows its users: every class compiled beside an anchor class (the same classes
 * directory or jar), and the types that the public signatures of chosen packages name. A module's
 * test asserts with it what its package docs promise: that an API package names no type of a
 * library the module may change or drop (Jackson, Caffeine, jtokkit, ...), no type of a package
 * that is internal to the library, and that it says its nullness (JSpecify's {@code @NullMarked}).
 *
 * <p>A signature is public when its class and every class around it are public, and the member is
 * public or protected: a method's return, parameter and exception types and type parameters'
 * bounds, a constructor's parameters, a field's type, the class's superclass, interfaces and type
 * parameters' bounds (a record's components are its accessors). Generic types are walked into their
 * arguments, bounds and array components, so {@code List<JsonNode>} names {@code JsonNode}.
 * Synthetic and bridge methods are skipped.
 */
public final class ApiSurface {

  /**
   * The library's packages that are public only so that its own modules reach them, as their
   * package docs say: not API, whatever their classes' modifiers.
   */
  public static final Set<String> INTERNAL_PACKAGES =
      Set.of(
          "dev.aigateway.core.adapter",
          "dev.aigateway.core.concurrent",
          "dev.aigateway.core.pipeline",
          "dev.aigateway.core.translate",
          "dev.aigateway.core.wire");

  private final List<Class<?>> classes;

  private ApiSurface(List<Class<?>> classes) {
    this.classes = classes;
  }

  /**
   * The classes compiled beside {@code anchor}: every {@code .class} file of the directory or jar
   * its class came from (module descriptors excepted), loaded by its class loader without being
   * initialised.
   *
   * @throws IllegalStateException when a class found there does not load
   */
  public static ApiSurface of(Class<?> anchor) {
    Objects.requireNonNull(anchor, "anchor");
    Path root;
    try {
      root = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot tell where " + anchor.getName() + " came from", e);
    }
    List<String> names = Files.isDirectory(root) ? classNamesIn(root) : classNamesInJar(root);
    List<Class<?>> classes = new ArrayList<>(names.size());
    for (String name : names) {
      try {
        classes.add(Class.forName(name, false, anchor.getClassLoader()));
      } catch (ClassNotFoundException | LinkageError e) {
        throw new IllegalStateException("cannot load " + name + " from " + root, e);
      }
    }
    return new ApiSurface(Collections.unmodifiableList(classes));
  }

  /** The names of the packages that hold at least one class, in order. */
  public Set<String> packages() {
    Set<String> packages = new TreeSet<>();
    for (Class<?> c : classes) {
      packages.add(c.getPackageName());
    }
    return packages;
  }

  /**
   * The packages among {@code packages} whose {@code package-info} does not carry {@code
   * annotation} (which must be kept at run time to be seen), in order.
   */
  public Set<String> packagesWithout(
      Class<? extends Annotation> annotation, Collection<String> packages) {
    Set<String> without = new TreeSet<>();
    for (String name : packages) {
      Class<?> any =
          classes.stream()
              .filter(c -> c.getPackageName().equals(name))
              .findFirst()
              .orElseThrow(() -> new IllegalArgumentException("no class in package " + name));
      if (!any.getPackage().isAnnotationPresent(annotation)) {
        without.add(name);
      }
    }
    return without;
  }

  /**
   * Every place where a public signature of a class in {@code packages} names a type whose name
   * {@code named} accepts, as {@code "Class#member: what it names"} (for example {@code
   * "dev.example.Api#parse: returns com.fasterxml.jackson.databind.JsonNode"}), in order; empty
   * when there is none.
   */
  public List<String> signaturesNaming(Collection<String> packages, Predicate<String> named) {
    Set<String> wanted = new HashSet<>(packages);
    Set<String> found = new TreeSet<>();
    for (Class<?> c : classes) {
      if (!wanted.contains(c.getPackageName()) || !visible(c)) {
        continue;
      }
      Finder finder = new Finder(c.getName(), named, found);
      finder.look("extends", c.getGenericSuperclass());
      finder.lookAll("implements", c.getGenericInterfaces());
      for (TypeVariable<?> variable : c.getTypeParameters()) {
        finder.lookAll("type parameter bound", variable.getBounds());
      }
      for (Field field : c.getDeclaredFields()) {
        if (visible(field.getModifiers()) && !field.isSynthetic()) {
          finder.member(field.getName()).look("is of type", field.getGenericType());
        }
      }
      for (Method method : c.getDeclaredMethods()) {
        if (visible(method.getModifiers()) && !method.isSynthetic() && !method.isBridge()) {
          Finder m = finder.member(method.getName());
          m.look("returns", method.getGenericReturnType());
          m.executable(method);
        }
      }
      for (Constructor<?> constructor : c.getDeclaredConstructors()) {
        if (visible(constructor.getModifiers()) && !constructor.isSynthetic()) {
          finder.member("<init>").executable(constructor);
        }
      }
    }
    return List.copyOf(found);
  }

  /**
   * What breaks the promises of the API packages among {@code apiPackages}, in order: {@code
   * "package p: not @N"} for each without the nullness annotation {@code nullness}, and each place
   * where a public signature names a type that {@code allowed} refuses (as {@link
   * #signaturesNaming} reports it). Empty when they hold.
   */
  public List<String> departures(
      Collection<String> apiPackages,
      Class<? extends Annotation> nullness,
      Predicate<String> allowed) {
    List<String> departures = new ArrayList<>();
    for (String name : packagesWithout(nullness, apiPackages)) {
      departures.add("package " + name + ": not @" + nullness.getSimpleName());
    }
    departures.addAll(signaturesNaming(apiPackages, allowed.negate()));
    return departures;
  }

  /** {@link #departures(Collection, Class, Predicate)} for every package of the surface. */
  public List<String> departures(Class<? extends Annotation> nullness, Predicate<String> allowed) {
    return departures(packages(), nullness, allowed);
  }

  /**
   * A predicate on type names: the library's API types, those of a {@code dev.aigateway} package
   * that is not one of the {@link #INTERNAL_PACKAGES} nor this test support's own.
   */
  public static Predicate<String> libraryApi() {
    return name -> {
      int dot = name.lastIndexOf('.');
      String pkg = dot < 0 ? "" : name.substring(0, dot);
      return pkg.startsWith("dev.aigateway.")
          && !INTERNAL_PACKAGES.contains(pkg)
          && !pkg.equals(ApiSurface.class.getPackageName());
    };
  }

  /** Whether {@code c} and every class around it are public. */
  private static boolean visible(Class<?> c) {
    for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
      if (!Modifier.isPublic(k.getModifiers())) {
        return false;
      }
    }
    return true;
  }

  private static boolean visible(int modifiers) {
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }

  /** Notes what one class's (or member's) signatures name that is wanted. */
  private static final class Finder {
    private final String where;
    private final Predicate<String> named;
    private final Set<String> found;

    Finder(String where, Predicate<String> named, Set<String> found) {
      this.where = where;
      this.named = named;
      this.found = found;
    }

    Finder member(String name) {
      return new Finder(where + "#" + name, named, found);
    }

    void executable(Executable e) {
      lookAll("takes", e.getGenericParameterTypes());
      lookAll("throws", e.getGenericExceptionTypes());
      for (TypeVariable<?> variable : e.getTypeParameters()) {
        lookAll("type parameter bound", variable.getBounds());
      }
    }

    void lookAll(String how, Type[] types) {
      for (Type type : types) {
        look(how, type);
      }
    }

    void look(String how, Type type) {
      walk(how, type, new HashSet<>());
    }

    private void walk(String how, Type type, Set<Type> seen) {
      if (type == null || !seen.add(type)) {
        return;
      }
      if (type instanceof Class<?> c) {
        while (c.isArray()) {
          c = c.getComponentType();
        }
        if (!c.isPrimitive() && named.test(c.getName())) {
          found.add(where + ": " + how + " " + c.getName());
        }
      } else if (type instanceof ParameterizedType p) {
        walk(how, p.getRawType(), seen);
        walk(how, p.getOwnerType(), seen);
        for (Type argument : p.getActualTypeArguments()) {
          walk(how, argument, seen);
        }
      } else if (type instanceof WildcardType w) {
        for (Type bound : w.getUpperBounds()) {
          walk(how, bound, seen);
        }
        for (Type bound : w.getLowerBounds()) {
          walk(how, bound, seen);
        }
      } else if (type instanceof TypeVariable<?> v) {
        for (Type bound : v.getBounds()) {
          walk(how, bound, seen);
        }
      } else if (type instanceof GenericArrayType a) {
        walk(how, a.getGenericComponentType(), seen);
      }
    }
  }

  /** A predicate on type names: those that start with any of {@code prefixes}. */
  public static Predicate<String> startingWith(String... prefixes) {
    List<String> all = List.of(prefixes);
    return name -> all.stream().anyMatch(name::startsWith);
  }

  private static List<String> classNamesIn(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      return classNames(files.map(p -> root.relativize(p).toString()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the classes in " + root, e);
    }
  }

  private static List<String> classNamesInJar(Path jar) {
    try (JarFile file = new JarFile(jar.toFile())) {
      return classNames(file.stream().map(JarEntry::getName));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the classes in " + jar, e);
    }
  }

  /** The classes that {@code .class} files at these relative paths hold, in order. */
  private static List<String> classNames(Stream<String> relativePaths) {
    return relativePaths
        .filter(n -> n.endsWith(".class"))
        .map(ApiSurface::className)
        .filter(Objects::nonNull)
        .sorted()
        .toList();
  }

  /** The class a {@code .class} file's relative path holds; null for module descriptors. */
  private static String className(String relativePath) {
    String name = relativePath.replace('\\', '/');
    name = name.substring(0, name.length() - ".class".length());
    if (name.endsWith("module-info") || name.startsWith("META-INF/")) {
      return null;
    }
    return name.replace('/', '.');
  }
}
