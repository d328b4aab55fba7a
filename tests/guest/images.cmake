# The guest images and the ctest entries that run them. Included from
# CMakeLists.txt; guest_image() and guest_test() are defined there.

guest_image(hello32 32 hello.c)
guest_image(hello64 64 hello.c)
guest_test(hello32 hello32 TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_test(hello64 hello64 TIMEOUT 30 EXPECT "^RESULT: PASS")

# The demo kernel booted by `make run`.
guest_image(demo 64 demo.c)
guest_test(demo demo TIMEOUT 60 EXPECT "^hvsim demo kernel" "^RESULT: PASS")

# Ring 3 entry and exit, faults from ring 3, gate DPL checks.
guest_image(ring3_32 32 ring3.c)
guest_image(ring3_64 64 ring3.c)
guest_test(ring3_32 ring3_32 TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_test(ring3_64 ring3_64 TIMEOUT 30 EXPECT "^RESULT: PASS")
