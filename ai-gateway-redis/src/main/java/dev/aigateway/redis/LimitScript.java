package dev.aigateway.redis;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One function of the token limit library, a Redis Functions library ({@code FUNCTION LOAD}, Redis
 * 7.0+) made of Lua resources of this package, run with {@code FCALL}.
 *
 * <p>Why a library and not {@code EVALSHA}: an {@code EVAL} script runs its whole body on every
 * call, so each call defined the dozen helper functions and constants of the limit scripts again
 * (about 5 µs of Redis CPU per call on the 2-core test machine); a library defines them once, when
 * it is loaded, and a call runs only the function's body.
 *
 * <p>The library's name carries the first 12 hex digits of its code's SHA-1 ({@code
 * aigw_limits_<sha>}), and so do its functions' names: instances running different versions of the
 * store each call their own code, however they are rolled out. When Redis does not know the
 * function (a restarted Redis without persistence, a {@code FUNCTION FLUSH}, a failover to a
 * replica that never had it) it answers "Function not found": the library is then loaded ({@code
 * FUNCTION LOAD REPLACE}) and the call sent again, once.
 */
final class LimitScript {

  private static final String NOT_FOUND = "ERR Function not found";

  private final String library;
  private final String function;

  private LimitScript(String library, String function) {
    this.library = library;
    this.function = function;
  }

  /**
   * The library made of the given resources of this package, in order; its functions register
   * themselves under {@code FUNCTION_PREFIX .. '<name>'}.
   */
  static Library library(String... resources) {
    StringBuilder body = new StringBuilder();
    for (String resource : resources) {
      try (InputStream in = LimitScript.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("script resource " + resource + " is missing");
        }
        body.append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
      } catch (IOException e) {
        throw new UncheckedIOException("could not read script resource " + resource, e);
      }
    }
    String name = "aigw_limits_" + sha1(body.toString()).substring(0, 12);
    String code = "#!lua name=" + name + "\nlocal FUNCTION_PREFIX = '" + name + "_'\n" + body;
    return new Library(name, code);
  }

  /** A loaded set of resources: its name and code; {@link #function} names one of its functions. */
  record Library(String name, String code) {
    /** The function registered as {@code <name>_<suffix>}. */
    LimitScript function(String suffix) {
      return new LimitScript(code, name + "_" + suffix);
    }
  }

  /** The function's full name in Redis. */
  String name() {
    return function;
  }

  /**
   * Calls the function without waiting; the returned stage completes on Lettuce's event loop with
   * its reply (a flat list of integers) or its failure.
   */
  CompletableFuture<List<Object>> send(
      RedisAsyncCommands<String, String> redis, String[] keys, String[] args) {
    CompletableFuture<List<Object>> reply = new CompletableFuture<>();
    try {
      call(redis, keys, args)
          .whenComplete(
              (list, failure) -> {
                if (failure == null) {
                  reply.complete(list);
                } else if (notFound(failure)) {
                  try {
                    // Pipelined: the load, then the call again. Batches answered "not found" are
                    // sent again in the order of their answers, so their order holds.
                    CompletableFuture<String> load =
                        redis.functionLoad(library, true).toCompletableFuture();
                    call(redis, keys, args)
                        .whenComplete(
                            (again, failedAgain) -> {
                              if (failedAgain == null) {
                                reply.complete(again);
                              } else {
                                // answered after the load (one connection, in order): when the
                                // load was refused (NOPERM, say), its error says why, not the
                                // call's "Function not found"
                                reply.completeExceptionally(
                                    load.isCompletedExceptionally()
                                        ? load.handle((loaded, refused) -> refused).join()
                                        : failedAgain);
                              }
                            });
                  } catch (RuntimeException e) {
                    reply.completeExceptionally(e);
                  }
                } else {
                  reply.completeExceptionally(failure);
                }
              });
    } catch (RuntimeException e) {
      reply.completeExceptionally(e);
    }
    return reply;
  }

  /**
   * {@code FCALL function numkeys keys... args...}, every key and argument written as UTF-8 text
   * straight into the command's buffer. (Lettuce's own {@code fcall} encodes each one through the
   * codec into a pooled buffer of its own first, which costs a buffer and, for the buffers Netty's
   * leak detector samples, a stack trace: per argument, on the sending thread.)
   */
  private RedisFuture<List<Object>> call(
      RedisAsyncCommands<String, String> redis, String[] keys, String[] args) {
    CommandArgs<String, String> command = new CommandArgs<>(StringCodec.UTF8);
    command.add(function).add(keys.length);
    for (String key : keys) {
      command.add(key);
    }
    for (String arg : args) {
      command.add(arg);
    }
    return redis.dispatch(
        CommandType.FCALL, new NestedMultiOutput<String, String>(StringCodec.UTF8), command);
  }

  /**
   * Calls the function on {@code link}, written and read by the calling thread, within {@code
   * timeoutNanos}; loads the library and calls again, once, when Redis does not know it.
   *
   * @return its reply, a flat list of integers
   * @throws io.lettuce.core.RedisException when Redis could not answer or answered an error
   */
  List<Object> call(DirectLink link, String[] keys, String[] args, long timeoutNanos) {
    return link.fcall(function, library, keys, args, timeoutNanos);
  }

  private static boolean notFound(Throwable failure) {
    Throwable e = failure;
    while (e != null && !(e instanceof RedisCommandExecutionException)) {
      e = e.getCause();
    }
    return e != null && String.valueOf(e.getMessage()).startsWith(NOT_FOUND);
  }

  private static String sha1(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is missing from this JVM", e);
    }
  }
}
