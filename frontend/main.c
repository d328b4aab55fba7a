#include "frontend/cli.h"

int main(int argc, char *argv[])
{
    return hvsim_main(argc, argv);
}
