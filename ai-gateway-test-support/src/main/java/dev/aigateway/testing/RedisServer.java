package dev.aigateway.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} process on a free loopback port, started and stopped by a test: the
 * Redis tests never depend on a Redis that is already running, and never mock one.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.start()) {
 *   RedisClient client = RedisClient.create(redis.uri());
 *   ...
 *   redis.stop();      // Redis is down
 *   redis.restart();   // back on the same port, empty
 * }
 * }</pre>
 *
 * <p>The executable is {@code redis-server} from the {@code PATH} (or {@code /usr/bin}, {@code
 * /usr/local/bin}), or the one the system property / environment variable {@code
 * AIGATEWAY_REDIS_SERVER} names. {@code scripts/ensure-redis.sh} installs Debian's {@code
 * redis-server} package when it is missing; without it, {@link #start} fails with a message that
 * says so. Persistence is off and each server gets its own directory, so runs never share state.
 */
public final class RedisServer implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  private final Path executable;
  private final Path dir;
  private final int port;
  private final List<String> extraArgs;
  private Process process;

  private RedisServer(Path executable, Path dir, int port, List<String> extraArgs) {
    this.executable = executable;
    this.dir = dir;
    this.port = port;
    this.extraArgs = List.copyOf(extraArgs);
  }

  /** Starts a server on a free port with default settings. */
  public static RedisServer start() {
    return start(List.of());
  }

  /**
   * Starts a server on a free port with extra command-line settings, for example {@code
   * List.of("--maxmemory", "2mb", "--maxmemory-policy", "noeviction")}.
   */
  public static RedisServer start(List<String> extraArgs) {
    Path executable = findExecutable();
    try {
      Path dir = Files.createTempDirectory("aigateway-redis-");
      RedisServer server = new RedisServer(executable, dir, freePort(), extraArgs);
      server.launch();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start redis-server", e);
    }
  }

  /** {@code redis://127.0.0.1:<port>}. */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** The loopback port the server listens on (the same after {@link #restart}). */
  public int port() {
    return port;
  }

  /** Whether the server process is running (it may be paused). */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Kills the server at once (SIGKILL): clients see connections drop, as when a host dies. */
  public synchronized void kill() {
    if (process != null) {
      process.destroyForcibly();
      waitFor(process);
      process = null;
    }
  }

  /** Stops the server (SIGTERM) and waits for it to exit. */
  public synchronized void stop() {
    if (process != null) {
      process.destroy();
      if (!waitFor(process)) {
        process.destroyForcibly();
        waitFor(process);
      }
      process = null;
    }
  }

  /** Starts the server again on the same port, empty (persistence is off). */
  public synchronized void restart() {
    stop();
    try {
      launch();
    } catch (IOException e) {
      throw new UncheckedIOException("could not restart redis-server", e);
    }
  }

  /** Freezes the server process (SIGSTOP): connections stay open but nothing is answered. */
  public synchronized void pause() {
    signal("STOP");
  }

  /** Lets a {@link #pause paused} server go on (SIGCONT). */
  public synchronized void resume() {
    signal("CONT");
  }

  /**
   * Sends one command over a plain socket and returns the first line of the reply (for example
   * {@code "+OK"} or {@code ":42"}): enough for set-up and checks without a client library.
   */
  public String command(String... args) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
      for (String arg : args) {
        byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
        request.append('$').append(bytes.length).append("\r\n").append(arg).append("\r\n");
      }
      out.write(request.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      String line = in.readLine();
      if (line != null && line.startsWith("$") && !line.equals("$-1")) {
        return in.readLine();
      }
      return line;
    } catch (IOException e) {
      throw new UncheckedIOException("redis command " + args[0] + " failed on port " + port, e);
    }
  }

  @Override
  public synchronized void close() {
    if (process != null) {
      resume();
    }
    stop();
    deleteQuietly(dir);
  }

  private synchronized void launch() throws IOException {
    List<String> command = new ArrayList<>();
    command.add(executable.toString());
    command.addAll(
        List.of(
            "--port", Integer.toString(port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", dir.toString(),
            "--daemonize", "no",
            "--protected-mode", "no",
            "--enable-debug-command", "local",
            "--loglevel", "warning"));
    command.addAll(extraArgs);
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.redirectErrorStream(true);
    builder.redirectOutput(dir.resolve("redis.log").toFile());
    process = builder.start();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException(
            "redis-server exited at start with code "
                + process.exitValue()
                + ": "
                + Files.readString(dir.resolve("redis.log")));
      }
      try {
        if ("+PONG".equals(command("PING"))) {
          return;
        }
      } catch (UncheckedIOException notYet) {
        // not listening yet
      }
      sleep(20);
    }
    process.destroyForcibly();
    throw new IOException("redis-server did not answer PING within " + START_TIMEOUT);
  }

  private void signal(String name) {
    if (process == null) {
      return;
    }
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
      kill.waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException("could not send SIG" + name + " to redis-server", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Path findExecutable() {
    String configured = System.getProperty("AIGATEWAY_REDIS_SERVER");
    if (configured == null) {
      configured = System.getenv("AIGATEWAY_REDIS_SERVER");
    }
    if (configured != null && Files.isExecutable(Path.of(configured))) {
      return Path.of(configured);
    }
    List<Path> candidates = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String entry : path.split(java.io.File.pathSeparator)) {
        candidates.add(Path.of(entry, "redis-server"));
      }
    }
    candidates.add(Path.of("/usr/bin/redis-server"));
    candidates.add(Path.of("/usr/local/bin/redis-server"));
    for (Path candidate : candidates) {
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "redis-server not found: run scripts/ensure-redis.sh (installs Debian's redis-server"
            + " package) or set AIGATEWAY_REDIS_SERVER to its path");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  private static boolean waitFor(Process process) {
    try {
      return process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting redis-server", e);
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temp directory left behind is harmless
    }
  }
}
