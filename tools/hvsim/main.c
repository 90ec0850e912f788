#include <stdio.h>
int main(void)
{
    puts("hvsim " HVSIM_VERSION);
    return 0;
}
