// hivectl image pull|load|ls|inspect|rm|prune: the local runtime's images, docker's verbs.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>

#include "app.hpp"
#include "commands/shared.hpp"
#include "printers/printer.hpp"

namespace hive::cli {
namespace {

using sandbox::Json;

std::string bytes_text(std::int64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000 && unit < 4) {
    value /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f%s" : "%.1f%s", value, units[unit]);
  return text;
}

// "sha256:0123456789ab..." -> "0123456789ab", as docker shows ids.
std::string short_id(const std::string& digest) { return digest.substr(digest.rfind(':') + 1, 12); }

// A pull's progress on stderr: at a terminal one line per layer, redrawn in place (like
// docker pull); otherwise one plain line each time a layer's state changes.
class PullDisplay {
 public:
  explicit PullDisplay(Invocation& inv)
      : inv_(inv), tty_(isatty(STDERR_FILENO) != 0 && &inv.io.err == &std::cerr) {}

  void operator()(const Json& event) {
    const std::string id = event.value("id", "");
    const std::string status = event.value("status", "");
    if (id.rfind("sha256:", 0) != 0) {
      if (!tty_ && status == "resolving") inv_.io.err << "resolving " << id << "\n";
      return;
    }
    std::string text = status;
    if (event.contains("progress")) {
      auto current = event["progress"].value("current", std::int64_t{0});
      auto total = event["progress"].value("total", std::int64_t{0});
      if (status == "downloading" && total > 0) {
        text += " " + bytes_text(current) + "/" + bytes_text(total);
      } else if (total > 0) {
        text += " " + bytes_text(total);
      }
    }
    auto [it, added] = layers_.try_emplace(id, "");
    if (added) order_.push_back(id);
    const bool changed = it->second.substr(0, it->second.find(' ')) != status;
    it->second = text;
    if (!tty_) {
      if (changed && status != "downloading") inv_.io.err << short_id(id) << ": " << text << "\n";
      return;
    }
    redraw();
  }

 private:
  void redraw() {
    if (drawn_ > 0) inv_.io.err << "\033[" << drawn_ << "A";
    for (const auto& id : order_)
      inv_.io.err << "\r\033[K" << short_id(id) << ": " << layers_[id] << "\n";
    drawn_ = order_.size();
    inv_.io.err << std::flush;
  }

  Invocation& inv_;
  bool tty_;
  std::map<std::string, std::string> layers_;
  std::vector<std::string> order_;
  std::size_t drawn_ = 0;
};

void print_images(Invocation& inv, const std::vector<Json>& images) {
  auto options = inv.print_options();
  if (options.structured()) {
    print_structured(inv.io.out, options, Json{{"items", images}});
    return;
  }
  if (options.format == OutputFormat::Name) {
    for (const auto& image : images) inv.io.out << image.value("name", "") << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows{{"NAME", "ID", "SIZE", "PULLED", "IN USE"}};
  const auto now = std::chrono::system_clock::now();
  for (const auto& image : images) {
    rows.push_back({image.value("name", ""), short_id(image.value("id", "")),
                    bytes_text(image.value("size", std::int64_t{0})),
                    age(image.value("pulled_at", ""), now),
                    std::to_string(image.value("in_use_by", Json::array()).size())});
  }
  print_rows(inv.io.out, rows);
}

void print_image(Invocation& inv, const Json& image) {
  auto options = inv.print_options();
  if (options.format == OutputFormat::Name) {
    inv.io.out << image.value("name", "") << "\n";
  } else if (options.structured()) {
    print_structured(inv.io.out, options, image);
  } else {
    print_images(inv, {image});
  }
}

int run_pull(Invocation& inv, const std::string& reference) {
  auto image = inv.client().pull_image(reference, pull_display(inv));
  if (!image) return inv.fail(image.error());
  if (!inv.print_options().structured()) {
    inv.io.err << "pulled " << image->value("name", "") << " (" << image->value("digest", "")
               << ")\n";
  }
  if (inv.print_options().structured()) {
    print_image(inv, *image);
  } else {
    inv.io.out << image->value("name", "") << "\n";
  }
  return kExitOk;
}

struct LoadOptions {
  std::string input = "-";
  std::string tag;
};

int run_load(Invocation& inv, const LoadOptions& o) {
  if (o.input == "-" && isatty(STDIN_FILENO) != 0) {
    inv.io.err << "hivectl image load: give the archive with -i FILE, or on stdin "
                  "(hivectl image load < busybox.tar)\n";
    return kExitUsage;
  }
  // At a terminal, the bytes sent so far, redrawn in place; the server then unpacks.
  const bool tty = isatty(STDERR_FILENO) != 0 && &inv.io.err == &std::cerr;
  auto last = std::chrono::steady_clock::now();
  auto on_sent = [&](std::uint64_t sent) {
    auto now = std::chrono::steady_clock::now();
    if (!tty || now - last < std::chrono::milliseconds(200)) return;
    last = now;
    inv.io.err << "\r\033[Ksending " << bytes_text(static_cast<std::int64_t>(sent)) << std::flush;
  };
  auto loaded = inv.client().load_image(o.input, o.tag, on_sent);
  if (tty) inv.io.err << "\r\033[K" << std::flush;
  if (!loaded) return inv.fail(loaded.error());
  auto options = inv.print_options();
  if (options.structured()) {
    print_structured(inv.io.out, options, Json{{"items", *loaded}});
    return kExitOk;
  }
  for (const auto& image : *loaded) {
    if (options.format != OutputFormat::Name) {
      inv.io.err << "loaded " << image.value("name", "") << " (" << image.value("digest", "")
                 << ")\n";
    }
    inv.io.out << image.value("name", "") << "\n";
  }
  return kExitOk;
}

}  // namespace

sandbox::Client::OnPullEvent pull_display(Invocation& inv) {
  auto display = std::make_shared<PullDisplay>(inv);
  return [display](const Json& event) { (*display)(event); };
}

void add_image(CLI::App& app, Invocation& inv) {
  auto* image =
      app.add_subcommand("image", "Pull, list, inspect and remove images (local runtime)");
  image->require_subcommand(1);
  image->footer(R"(Images come from any OCI registry (Docker Hub, ghcr.io, your own); each layer is
kept once, shared by every image and sandbox using it. A spawn pulls what it needs, so
'image pull' is for doing it ahead of time.

Examples:
  hivectl image pull python:3.12
  hivectl image load -i busybox.tar   # docker save / skopeo copy ... oci-archive: output
  hivectl image ls
  hivectl image inspect python:3.12 -o json
  hivectl image rm python:3.12
  hivectl image prune                 # layers no image uses any more)");
  auto reference = std::make_shared<std::string>();
  auto* pull = image->add_subcommand("pull", "Fetch an image (and its layers) from its registry");
  pull->add_option("IMAGE", *reference, "python:3.12, ghcr.io/org/img:tag, host:5000/x@sha256:...")
      ->required();
  pull->callback(
      [&inv, reference] { inv.run = [&inv, reference] { return run_pull(inv, *reference); }; });

  auto load_options = std::make_shared<LoadOptions>();
  auto* load = image->add_subcommand(
      "load", "Load images from a docker save tar or an OCI archive (no registry needed)");
  load->add_option("-i,--input", load_options->input,
                   "the archive (also gzip-compressed); default: stdin");
  load->add_option("--tag", load_options->tag,
                   "the name for the archive's one image (needed when the archive names it by a "
                   "tag alone, as an OCI archive may)");
  load->callback([&inv, load_options] {
    inv.run = [&inv, load_options] { return run_load(inv, *load_options); };
  });

  auto* ls = image->add_subcommand("ls", "List the images on the server");
  ls->alias("list");
  ls->callback([&inv] {
    inv.run = [&inv] {
      auto images = inv.client().list_images();
      if (!images) return inv.fail(images.error());
      print_images(inv, *images);
      return kExitOk;
    };
  });

  auto names = std::make_shared<std::vector<std::string>>();
  auto* inspect = image->add_subcommand("inspect", "Show an image: digest, layers, config");
  inspect->add_option("IMAGE", *names, "image names or ids")->required();
  inspect->callback([&inv, names] {
    inv.run = [&inv, names] {
      int code = kExitOk;
      for (const auto& name : *names) {
        auto got = inv.client().get_image(name);
        if (!got) {
          code = inv.fail(got.error());
          continue;
        }
        print_structured(inv.io.out,
                         inv.print_options().structured() ? inv.print_options()
                                                          : PrintOptions{OutputFormat::Json},
                         *got);
      }
      return code;
    };
  });

  auto* rm = image->add_subcommand("rm", "Remove images (refused while a sandbox runs on one)");
  rm->add_option("IMAGE", *names, "image names or ids")->required();
  rm->callback([&inv, names] {
    inv.run = [&inv, names] {
      int code = kExitOk;
      for (const auto& name : *names) {
        auto removed = inv.client().remove_image(name);
        if (!removed) {
          code = inv.fail(removed.error());
          continue;
        }
        inv.io.out << "removed " << removed->value("name", name) << "\n";
      }
      return code;
    };
  });

  auto* prune = image->add_subcommand("prune", "Remove the layers no image uses");
  prune->callback([&inv] {
    inv.run = [&inv] {
      auto freed = inv.client().prune_images();
      if (!freed) return inv.fail(freed.error());
      inv.io.out << "freed " << bytes_text(*freed) << "\n";
      return kExitOk;
    };
  });
}

}  // namespace hive::cli
