// An independent bulk client (not hftp-benchmark) for bench/bulk-raw.sh, loopback only. MODE hftp sends
// "get_slice NAME 0 SIZE\r\n", MODE http "GET /NAME HTTP/1.1"; ROUNDS transfers on one connection after one
// warm-up transfer (none with NOWARM=1); every reply byte is read into one 1 MiB buffer, nothing is decoded or
// parsed beyond the HTTP header's end. Prints the payload rate: file bytes (SIZE) per second, in MB/s.
// Build: gcc -O2 -o bulk_client bench/bulk_client.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
static char buf[1<<20];
int main(int argc,char**argv){
  if(argc<6){fprintf(stderr,"usage: bulk_client hftp|http PORT NAME SIZE ROUNDS\n");return 2;}
  int http=strcmp(argv[1],"http")==0; int port=atoi(argv[2]); const char*name=argv[3]; long long size=atoll(argv[4]); int rounds=atoi(argv[5]);
  int s=socket(AF_INET,SOCK_STREAM,0); struct sockaddr_in a={0}; a.sin_family=AF_INET; a.sin_port=htons(port);
  a.sin_addr.s_addr=htonl(INADDR_LOOPBACK);
  if(connect(s,(struct sockaddr*)&a,sizeof a)){perror("connect");return 1;}
  char req[512]; int n=http? snprintf(req,sizeof req,"GET /%s HTTP/1.1\r\nHost: localhost\r\n\r\n",name)
                           : snprintf(req,sizeof req,"get_slice %s 0 %lld\r\n",name,size);
  double total=0,best=0; int warm=getenv("NOWARM")?0:1;
  for(int r=1-warm;r<=rounds;r++){
    double t0=now(); if(write(s,req,n)!=n){perror("write");return 1;}
    long long expect=http? -1 : 6+((size+2)/3)*4+2, got=0;
    while(expect<0||got<expect){
      ssize_t k=read(s,buf+(expect<0?got:0),expect<0?sizeof buf-1-got:sizeof buf); if(k<=0){fprintf(stderr,"short read %lld\n",got);return 1;}
      got+=k;
      if(expect<0){ buf[got]=0; char*e=strstr(buf,"\r\n\r\n"); if(e){ expect=(e+4-buf)+size; } }
    }
    double dt=now()-t0;
    if(r==0) continue; // warm-up (unless NOWARM)
    double mbs=size/dt/1e6; total+=dt; if(mbs>best)best=mbs;
  }
  printf("%s %s payload_MBps_mean=%.0f best=%.0f (%d rounds)\n",argv[1],name,size*(double)rounds/total/1e6,best,rounds);
  close(s); return 0;
}
