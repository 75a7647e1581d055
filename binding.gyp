{
  "targets": [
    {
      "target_name": "syscallmon",
      "sources": [
        "native/addon.cc",
        "native/device.cc",
        "native/errors.cc",
        "native/formatter.cc",
        "native/ndjson.cc",
        "native/stream.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "include_dirs": [
        "kernel/include",
        "<(SHARED_INTERMEDIATE_DIR)/syscallmon"
      ],
      # Hidden: the addon exports only its N-API entry point, so its own
      # functions can't be interposed and calls between them may be inlined.
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "actions": [
        {
          "action_name": "gen_syscalls",
          "variables": { "kdir": "<!(sh scripts/kdir.sh)" },
          "inputs": ["scripts/gen-syscalls.sh", "<(kdir)/arch/x86/include/generated/asm/syscalls_64.h"],
          "outputs": ["<(SHARED_INTERMEDIATE_DIR)/syscallmon/syscall_table.h"],
          "action": ["sh", "scripts/gen-syscalls.sh", "<(kdir)", "<@(_outputs)"]
        },
        {
          "action_name": "gen_abi",
          "inputs": ["native/gen-abi.sh", "kernel/include/uapi/syscallmon.h", "kernel/include/uapi/syscallmon_schema.h"],
          "outputs": ["<(SHARED_INTERMEDIATE_DIR)/syscallmon/abi.h"],
          "action": ["sh", "native/gen-abi.sh", "<@(_outputs)", "kernel/include/uapi/syscallmon.h", "kernel/include/uapi/syscallmon_schema.h"]
        }
      ]
    }
  ]
}
