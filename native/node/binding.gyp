{
  "targets": [
    {
      "target_name": "redtrace_lttng",
      "sources": ["addon.c", "nodejs_tp.c"],
      "include_dirs": ["."],
      "libraries": ["-llttng-ust", "-ldl"],
      "cflags": ["-Wno-pedantic"]
    }
  ]
}
