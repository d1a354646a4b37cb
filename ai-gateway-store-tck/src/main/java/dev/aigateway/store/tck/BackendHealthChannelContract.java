package dev.aigateway.store.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.aigateway.api.spi.BackendHealthChannel;
import dev.aigateway.api.spi.HealthSignal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link BackendHealthChannel} must show, as its javadoc states it: every
 * subscriber gets every signal whole (the publisher's own subscribers included; names of any
 * characters, unpaired surrogates included, as they were sent), on a thread of the channel's, never
 * the publisher's; a receiver that throws stops neither the publisher nor the other receivers; a
 * closed subscription gets nothing more, and closing it again closes nothing else; signals
 * published from many threads at once all arrive.
 *
 * <p>To run it against a channel, extend it in the channel's tests:
 *
 * <pre>{@code
 * class RedisBackendHealthChannelContractTest extends BackendHealthChannelContract {
 *   @Override
 *   protected BackendHealthChannel newChannel() {
 *     return new RedisBackendHealthChannel(redis);
 *   }
 *
 *   @Override
 *   protected void awaitSubscribed(BackendHealthChannel channel) {
 *     // until Redis confirmed the channel's subscription
 *   }
 * }
 * }</pre>
 *
 * A channel that implements {@link AutoCloseable} is closed after each test.
 */
public abstract class BackendHealthChannelContract {

  /** How long a test waits for a signal to arrive before it fails. */
  protected static final Duration DELIVERY = Duration.ofSeconds(30);

  /** The channel under test, fresh for every test. */
  protected BackendHealthChannel channel;

  /** A fresh channel that no other test publishes on. */
  protected abstract BackendHealthChannel newChannel() throws Exception;

  /**
   * Returns once signals published from now on reach the receivers {@code channel} has: a channel
   * over a shared medium subscribes in the background ({@link BackendHealthChannel#subscribe}
   * returns at once), and what is published before that may be lost. Called after each test's
   * subscriptions are made; by default it returns at once.
   */
  protected void awaitSubscribed(BackendHealthChannel channel) throws Exception {}

  @BeforeEach
  void createChannel() throws Exception {
    channel = newChannel();
  }

  @AfterEach
  void closeChannel() throws Exception {
    if (channel instanceof AutoCloseable closeable) {
      closeable.close();
    }
  }

  /** A cool-down of {@code backend} in pool {@code chat}, 30 s, sent by {@code gw-a}. */
  protected static HealthSignal coolDown(String backend) {
    return new HealthSignal(
        "chat",
        backend,
        HealthSignal.Kind.COOL_DOWN,
        Instant.parse("2026-11-24T10:00:30Z"),
        Duration.ofSeconds(30),
        "gw-a");
  }

  @Test
  void everySubscriberGetsEverySignalWholeOnAThreadOfTheChannels() throws Exception {
    Received first = new Received();
    Received second = new Received();
    channel.subscribe(first);
    channel.subscribe(second);
    awaitSubscribed(channel);
    HealthSignal sent =
        new HealthSignal(
            "chat",
            "east",
            HealthSignal.Kind.TRIPPED,
            Instant.parse("2026-11-24T10:01:00Z"),
            Duration.ofSeconds(60),
            "gw-a");

    channel.publish(sent);

    for (Received received : List.of(first, second)) {
      HealthSignal got = received.next();
      assertThat(got).isNotNull();
      assertThat(got.pool()).isEqualTo(sent.pool());
      assertThat(got.backendId()).isEqualTo(sent.backendId());
      assertThat(got.kind()).isEqualTo(sent.kind());
      assertThat(got.until()).isEqualTo(sent.until());
      assertThat(got.origin()).isEqualTo(sent.origin());
      // a channel that held it passes it on aged, never with more time than it was sent with
      assertThat(got.remaining()).isPositive().isLessThanOrEqualTo(sent.remaining());
      assertThat(received.threads).doesNotContain(Thread.currentThread());
    }
  }

  @Test
  void namesOfAnyCharactersArriveAsTheyWereSent() throws Exception {
    Received received = new Received();
    channel.subscribe(received);
    awaitSubscribed(channel);
    // What a pool name, backend id or gateway id may hold: quotes and braces, control characters,
    // text beyond ASCII, a surrogate pair, and unpaired surrogates, which UTF-8 cannot carry.
    List<String> names =
        List.of(
            "\"chat\": {x}",
            "tab\tand\nnewline",
            "caf\u00e9 \u6771",
            "emoji \ud83d\ude00",
            "east\ud800",
            "\udc00west");
    for (String name : names) {
      channel.publish(
          new HealthSignal(
              name,
              name,
              HealthSignal.Kind.TRIPPED,
              Instant.parse("2026-11-24T10:01:00Z"),
              Duration.ofSeconds(60),
              name));
    }

    List<String> got = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      HealthSignal signal = received.next();
      assertThat(signal).isNotNull();
      assertThat(signal.pool()).isEqualTo(signal.backendId()).isEqualTo(signal.origin());
      got.add(signal.backendId());
    }
    assertThat(got).containsExactlyInAnyOrderElementsOf(names);
  }

  @Test
  void aReceiverThatThrowsStopsNeitherThePublisherNorTheOtherReceivers() throws Exception {
    Received failing = new Received(new IllegalStateException("a receiver's own bug"));
    Received other = new Received();
    channel.subscribe(failing);
    channel.subscribe(other);
    awaitSubscribed(channel);

    assertThatCode(() -> channel.publish(coolDown("east"))).doesNotThrowAnyException();
    assertThatCode(() -> channel.publish(coolDown("west"))).doesNotThrowAnyException();

    assertThat(List.of(other.next(), other.next()))
        .extracting(HealthSignal::backendId)
        .containsExactlyInAnyOrder("east", "west");
    assertThat(List.of(failing.next(), failing.next()))
        .extracting(HealthSignal::backendId)
        .containsExactlyInAnyOrder("east", "west");
  }

  @Test
  void aClosedSubscriptionGetsNothingMoreAndClosingItAgainClosesNoOther() throws Exception {
    Received receiver = new Received();
    Received witness = new Received();
    BackendHealthChannel.Subscription first = channel.subscribe(receiver);
    channel.subscribe(receiver); // the same receiver, subscribed a second time
    BackendHealthChannel.Subscription closed = channel.subscribe(witness);
    channel.subscribe(witness);
    awaitSubscribed(channel);

    first.close();
    first.close(); // idempotent: the receiver's other subscription stays
    closed.close();
    channel.publish(coolDown("east"));

    assertThat(witness.next()).extracting(HealthSignal::backendId).isEqualTo("east");
    assertThat(receiver.next()).extracting(HealthSignal::backendId).isEqualTo("east");
    channel.publish(coolDown("west"));
    assertThat(witness.next()).extracting(HealthSignal::backendId).isEqualTo("west");
    assertThat(receiver.next()).extracting(HealthSignal::backendId).isEqualTo("west");
    // one subscription of each is left: each signal arrived once
    assertThat(witness.count()).isEqualTo(2);
    assertThat(receiver.count()).isEqualTo(2);
  }

  @Test
  void signalsPublishedFromManyThreadsAtOnceAllArriveOnce() throws Exception {
    Received received = new Received();
    channel.subscribe(received);
    awaitSubscribed(channel);
    int threads = 8;
    int each = 25;

    Concurrently.run(
        threads,
        thread -> {
          for (int i = 0; i < each; i++) {
            channel.publish(coolDown("b-" + thread + "-" + i));
          }
        });

    List<String> backends = new ArrayList<>();
    for (int i = 0; i < threads * each; i++) {
      HealthSignal next = received.next();
      assertThat(next).as("signal %s of %s", i + 1, threads * each).isNotNull();
      backends.add(next.backendId());
    }
    assertThat(backends).doesNotHaveDuplicates().hasSize(threads * each);
  }

  /** A receiver that keeps what it gets, and the threads it got it on. */
  protected static final class Received implements Consumer<HealthSignal> {
    private final LinkedBlockingQueue<HealthSignal> signals = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final @Nullable RuntimeException failure;
    private final AtomicInteger count = new AtomicInteger();

    /** A receiver that keeps each signal. */
    public Received() {
      this(null);
    }

    /** A receiver that keeps each signal, then throws {@code failure}, when not null. */
    public Received(@Nullable RuntimeException failure) {
      this.failure = failure;
    }

    @Override
    public void accept(HealthSignal signal) {
      threads.add(Thread.currentThread());
      count.incrementAndGet();
      signals.add(signal);
      if (failure != null) {
        throw failure;
      }
    }

    /** The next signal it got, waiting for it up to {@link #DELIVERY}; null if none came. */
    public @Nullable HealthSignal next() throws InterruptedException {
      return signals.poll(DELIVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** How many signals it got so far. */
    public int count() {
      return count.get();
    }
  }
}
