// The bounded queue between the dispatcher and one SPU: many producers, one
// consumer (the SPU's thread), first in first out. Producers hand over
// batches under one lock; the consumer takes everything queued at once, so
// the lock is taken about once per batch on either side, not per packet.
//
// Capacity bounds the data items. Control items (SA installs, removals,
// drain markers) may use a small reserve beyond it, so that the control plane
// is not starved by a full data queue; they keep their place in the order.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <span>
#include <vector>

namespace ipsecref::spu {

template <typename T>
class BoundedQueue {
 public:
  static constexpr size_t kControlReserve = 64;

  explicit BoundedQueue(size_t capacity)
      : capacity_(capacity), ring_(capacity + kControlReserve) {}

  size_t capacity() const { return capacity_; }

  // Moves items from the front of `items` into the queue: as many as fit
  // (`wait` false), or all of them, waiting for room (`wait` true). Returns
  // how many were taken; fewer than all only without `wait`, or once closed.
  size_t Push(std::span<T> items, bool wait) {
    size_t taken = 0;
    std::unique_lock lock(mu_);
    while (taken < items.size()) {
      while (!closed_ && size_ < capacity_ && taken < items.size()) Put(std::move(items[taken++]));
      if (taken == items.size() || closed_ || !wait) break;
      NotifyConsumer();
      ++producers_waiting_;
      not_full_.wait(lock, [&] { return closed_ || size_ < capacity_; });
      --producers_waiting_;
    }
    NotifyConsumer();
    return taken;
  }

  // A control item: always taken (using the reserve), waiting only when the
  // reserve too is full. False once closed.
  bool PushControl(T item) {
    std::unique_lock lock(mu_);
    ++producers_waiting_;
    not_full_.wait(lock, [&] { return closed_ || size_ < ring_.size(); });
    --producers_waiting_;
    if (closed_) return false;
    Put(std::move(item));
    NotifyConsumer();
    return true;
  }

  // Appends everything queued to `out`, waiting until there is something.
  // False when the queue is closed and empty.
  bool Pop(std::vector<T>& out) {
    std::unique_lock lock(mu_);
    consumer_waiting_ = true;
    not_empty_.wait(lock, [&] { return closed_ || size_ > 0; });
    consumer_waiting_ = false;
    if (size_ == 0) return false;
    for (; size_ > 0; --size_) {
      out.push_back(std::move(ring_[head_]));
      head_ = (head_ + 1) % ring_.size();
    }
    if (producers_waiting_ > 0) not_full_.notify_all();
    return true;
  }

  // Wakes everybody; later pushes are refused, Pop drains what is left.
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  void Put(T&& item) {
    ring_[(head_ + size_) % ring_.size()] = std::move(item);
    ++size_;
  }
  void NotifyConsumer() {
    if (consumer_waiting_ && size_ > 0) not_empty_.notify_one();
  }

  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::vector<T> ring_;
  size_t head_ = 0, size_ = 0;
  size_t producers_waiting_ = 0;
  bool consumer_waiting_ = false;
  bool closed_ = false;
};

}  // namespace ipsecref::spu
