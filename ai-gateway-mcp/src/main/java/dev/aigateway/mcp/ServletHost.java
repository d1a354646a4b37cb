package dev.aigateway.mcp;

import jakarta.servlet.http.HttpServlet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.modeler.Registry;

/**
 * One servlet in an embedded Tomcat on one address: the container the MCP SDK's servlet transports
 * need. Tomcat's embedded core is a single jar with the servlet API in it, which is why it was
 * chosen over Jetty (a handful of jars) for this.
 *
 * <p>Tomcat's JMX MBean registry is turned off before the first start in the JVM, as Spring Boot
 * does by default ({@code server.tomcat.mbeanregistry.enabled=false}): building it parses Tomcat's
 * MBean descriptors (about a second of CPU on a loaded machine) for MBeans of one loopback servlet
 * nobody manages. The registry is JVM-wide: an application that hosts its own Tomcat and wants its
 * MBeans sets the system property {@value #MBEANS_PROPERTY} to {@code true}. When a registry
 * already exists (the application's Tomcat started first) it is left as it is.
 */
final class ServletHost implements AutoCloseable {

  /** The system property that keeps Tomcat's MBean registry on. */
  static final String MBEANS_PROPERTY = "ai-gateway.mcp.tomcat-mbeans";

  private static final String CATALINA_HOME = "catalina.home";
  private static final String CATALINA_BASE = "catalina.base";

  private static final AtomicBoolean REGISTRY_CHECKED = new AtomicBoolean();

  private final Tomcat tomcat;
  private final Connector connector;
  private final Path baseDir;

  private ServletHost(Tomcat tomcat, Connector connector, Path baseDir) {
    this.tomcat = tomcat;
    this.connector = connector;
    this.baseDir = baseDir;
  }

  /**
   * Starts {@code servlet} at {@code path} (its exact path) on {@code host}:{@code port} (0 for a
   * free port).
   */
  static ServletHost start(String host, int port, String path, HttpServlet servlet) {
    Path baseDir;
    try {
      baseDir = Files.createTempDirectory("ai-gateway-mcp-tomcat");
    } catch (IOException e) {
      throw new UncheckedIOException("could not create Tomcat's working directory", e);
    }
    if (REGISTRY_CHECKED.compareAndSet(false, true) && !Boolean.getBoolean(MBEANS_PROPERTY)) {
      disableMBeanRegistry();
    }
    Tomcat tomcat = newTomcat(baseDir);
    Connector connector = new Connector("HTTP/1.1");
    connector.setPort(port);
    connector.setProperty("address", host);
    tomcat.getService().addConnector(connector);
    tomcat.setConnector(connector);
    Context context = tomcat.addContext("", baseDir.toString());
    if (context instanceof StandardContext standard) {
      // A web application's leak checks, meaningless for one servlet in the application's own
      // class loader (and noisy: they ask for --add-opens).
      standard.setClearReferencesRmiTargets(false);
      standard.setClearReferencesThreadLocals(false);
    }
    Tomcat.addServlet(context, "mcp", servlet).setAsyncSupported(true);
    context.addServletMapping(path, "mcp");
    try {
      tomcat.start();
    } catch (LifecycleException e) {
      deleteQuietly(baseDir);
      throw new IllegalStateException(
          "could not start the MCP server on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    if (connector.getLocalPort() <= 0) {
      stopQuietly(tomcat);
      deleteQuietly(baseDir);
      throw new IllegalStateException(
          "could not start the MCP server on " + host + ":" + port + " (is the port in use?)");
    }
    return new ServletHost(tomcat, connector, baseDir);
  }

  /**
   * A Tomcat on {@code baseDir}, leaving the JVM's {@code catalina.home} and {@code catalina.base}
   * as they were: Tomcat sets both to the first base directory it is given and, when {@code
   * catalina.home} is set, makes that directory again for every later Tomcat, so after the first
   * server closed each later start re-created its deleted working directory, left behind for good.
   */
  private static Tomcat newTomcat(Path baseDir) {
    synchronized (ServletHost.class) {
      String home = System.getProperty(CATALINA_HOME);
      String base = System.getProperty(CATALINA_BASE);
      try {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.toString());
        tomcat.getServer();
        return tomcat;
      } finally {
        restoreProperty(CATALINA_HOME, home);
        restoreProperty(CATALINA_BASE, base);
      }
    }
  }

  private static void restoreProperty(String name, String value) {
    if (value == null) {
      System.clearProperty(name);
    } else {
      System.setProperty(name, value);
    }
  }

  /**
   * Turns Tomcat's MBean registry off unless one was already built: {@code Registry} builds it on
   * first use, so whether it exists is read from its static field rather than by asking for it.
   */
  private static void disableMBeanRegistry() {
    synchronized (Registry.class) {
      if (!registryExists()) {
        Registry.disableRegistry();
      }
    }
  }

  private static boolean registryExists() {
    try {
      java.lang.reflect.Field field = Registry.class.getDeclaredField("registry");
      field.setAccessible(true);
      return field.get(null) != null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      // Unknown Tomcat internals: leave the registry alone rather than risk a warning or a change.
      return true;
    }
  }

  /** Tomcat's working directory, deleted when it closes. */
  Path baseDir() {
    return baseDir;
  }

  /** The port it listens on. */
  int port() {
    return connector.getLocalPort();
  }

  @Override
  public void close() {
    stopQuietly(tomcat);
    deleteQuietly(baseDir);
  }

  private static void stopQuietly(Tomcat tomcat) {
    try {
      tomcat.stop();
      tomcat.destroy();
    } catch (LifecycleException e) {
      // stopping is best effort: the port is released when the connector stops
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind
    }
  }
}
