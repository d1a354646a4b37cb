package dev.aigateway.mcp;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The module's threads: daemon threads that run MCP exchanges over OkHttp (one per exchange while
 * its body is read, so a long-lived event stream holds a thread, never a dispatcher slot), and one
 * timer for request timeouts.
 */
final class McpThreads {

  static final ExecutorService EXECUTOR = Executors.newCachedThreadPool(named("ai-gateway-mcp-"));

  static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(named("ai-gateway-mcp-timeout-"));

  private McpThreads() {}

  private static ThreadFactory named(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
